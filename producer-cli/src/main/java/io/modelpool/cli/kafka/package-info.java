/**
 * The command's Kafka plumbing: client construction from a {@link io.modelpool.cli.KafkaConnection}, the
 * result tail (a consumer positioned before anything is produced, so no result is missed), the request
 * sender (batched, idempotent, acks=all) and the translation of client failures into messages a user can
 * act on.
 *
 * <p>Must not import the command classes, the worker or the devstack.
 */
package io.modelpool.cli.kafka;
