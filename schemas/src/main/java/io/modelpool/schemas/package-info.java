/**
 * The public contract helpers for the worker and the CLI: topic names per capability ({@link
 * io.modelpool.schemas.Topics}) and the request and result classes per capability ({@link
 * io.modelpool.schemas.Contract}). The Avro records themselves are generated into {@code io.modelpool.v1}.
 *
 * <p>Must not import: the worker, the CLI, the devstack, Kafka clients beyond {@code org.apache.kafka.common}.
 */
package io.modelpool.schemas;
