/**
 * The Kafka side of the worker: the intake loop that owns the consumer and the producer, the offset ledger that
 * decides what may be committed, result publishing, dead letters, backpressure and rebalance handling.
 *
 * <p>Only the intake thread touches Kafka clients. Pool workers never do: their completions come back through a
 * queue. May import the capability layer's {@code CapabilityService} seam and the schemas module; must not import
 * the pool core's internals or ONNX Runtime.
 */
package io.modelpool.worker.kafka;
