/**
 * A client for the Confluent Schema Registry REST API (also spoken by Karapace, Apicurio's ccompat API and
 * Redpanda): registering and looking up Avro schemas, fetching them by id, bounded caches, retries with
 * backoff, basic auth and TLS; plus the subject name strategies that map a topic and a schema to a subject.
 *
 * <p>Owns: {@link io.modelpool.schemas.registry.SchemaRegistryClient} and its REST implementation, the
 * client's configuration keys, {@link io.modelpool.schemas.registry.SubjectNameStrategy}.
 *
 * <p>Must not import: the serde package ({@code io.modelpool.schemas.serde}), Kafka producer or consumer
 * clients, or anything from the worker. It knows about schemas and subjects, never about records.
 */
package io.modelpool.schemas.registry;
