/**
 * Observability of a worker: the Micrometer registry and every modelpool meter, the Prometheus
 * {@code /metrics} endpoint, {@code /health/live} and {@code /health/ready}, the dependency probes behind
 * readiness, and the switch between log formats.
 *
 * <p>It watches the other packages through their public seams (the intake's {@code IntakeListener}, the pool's
 * {@code BatchObserver} and read-only queries, the capability registry) and never changes what they do. Nothing
 * else in the worker imports it except the composition root ({@code Worker}). It must not import
 * {@code ai.onnxruntime} or {@code ai.djl}, and must not call the intake's Kafka clients from its own threads
 * except through their thread-safe {@code metrics()}.
 */
package io.modelpool.worker.observe;
