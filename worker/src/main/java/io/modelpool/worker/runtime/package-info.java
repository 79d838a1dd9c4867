/**
 * ONNX Runtime glue: the one process-wide {@code OrtEnvironment}, session options from the manifest,
 * model bytes from {@code classpath:} or {@code file:} sources, and tensor helpers that close what they
 * create.
 *
 * <p>It knows nothing of capabilities, requests or Kafka: it must not import {@code io.modelpool.v1},
 * {@code org.apache.kafka} or the pool.
 */
package io.modelpool.worker.runtime;
