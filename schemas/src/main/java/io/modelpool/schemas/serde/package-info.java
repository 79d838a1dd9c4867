/**
 * Kafka serializers and deserializers for Avro records in the Confluent wire format (magic byte 0, a 4-byte
 * big-endian schema id, Avro binary), backed by {@link io.modelpool.schemas.registry.SchemaRegistryClient}.
 * Specific records (the generated {@code io.modelpool.v1} classes) and generic records.
 *
 * <p>Owns: the serde classes and factories ({@link io.modelpool.schemas.serde.ConfluentAvroSerde}), their
 * configuration keys, bounded decoding of untrusted bytes, and the exception types that tell a caller what to
 * do with a record that cannot be read: every {@link io.modelpool.schemas.serde.UndecodableRecordException} is
 * the record's fault (dead-letter it); {@link io.modelpool.schemas.serde.RegistryUnavailableException} is not
 * (pause and retry the same record).
 *
 * <p>Must not import: anything from the worker or the CLI, Kafka producer or consumer classes (only
 * {@code org.apache.kafka.common}), the devstack.
 */
package io.modelpool.schemas.serde;
