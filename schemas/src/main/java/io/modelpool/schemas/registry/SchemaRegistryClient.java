package io.modelpool.schemas.registry;

import org.apache.avro.Schema;

/**
 * The subset of the Confluent Schema Registry REST API that the Avro serde needs.
 *
 * <p>Threading: implementations are thread-safe. Every method blocks the calling thread until the registry
 * answers, the retry budget is spent, or the thread is interrupted; none starts a thread of its own.
 *
 * <p>Caching: answers that cannot change (the schema of an id, the id of a schema under a subject) are cached
 * in bounded caches, so a warm client answers without a network call. The latest version of a subject is
 * cached only as long as the client's configuration says ({@code latest.cache.ttl.sec}); an id the registry
 * does not know is remembered as unknown for {@code missing.id.cache.ttl.sec}.
 *
 * <p>Failures: a registry that cannot be reached, times out, or keeps answering 5xx or 429 after the bounded
 * retries produces {@link RegistryUnreachableException}; asking again later may succeed. A definite answer
 * that refuses the request (subject or schema not found, incompatible schema, invalid schema, not
 * authorised) produces {@link RegistryErrorException} carrying the HTTP status and the registry's
 * {@code error_code}; asking again gives the same answer. If the calling thread is interrupted while
 * waiting, an {@link org.apache.kafka.common.errors.InterruptException} is thrown and the thread's interrupt
 * flag is set again.
 *
 * <p>After {@link #close()}, no method may be called.
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} ({@code POST /subjects/{subject}/versions}), or returns the
     * id it already has there. Idempotent.
     *
     * @return the schema's registry-wide id
     * @throws RegistryErrorException with status 409 when the registry's compatibility rules refuse the schema,
     *     or error code 42201 when it is not a valid schema
     */
    int register(String subject, Schema schema);

    /**
     * Looks {@code schema} up under {@code subject} without registering it ({@code POST /subjects/{subject}}).
     *
     * @throws RegistryErrorException with error code 40401 (no such subject) or 40403 (schema not registered
     *     under the subject)
     */
    RegisteredSchema lookup(String subject, Schema schema);

    /**
     * The schema with registry-wide id {@code id} ({@code GET /schemas/ids/{id}}).
     *
     * @throws RegistryErrorException with error code 40403 when no schema has that id
     * @throws NotAvroSchemaException when the id names a schema that is not Avro (Protobuf, JSON Schema) or whose
     *     text does not parse as Avro
     */
    Schema schemaById(int id);

    /**
     * Whether {@link #schemaById} would answer {@code id} now without a network call: its schema is cached, or the
     * registry recently said it has no such id. Never blocks; callers use it to decide whether a lookup must go to
     * another thread first. The default, for clients without caches, is {@code false}.
     */
    default boolean answersFromCache(int id) {
        return false;
    }

    /**
     * The latest version under {@code subject} ({@code GET /subjects/{subject}/versions/latest}).
     *
     * @throws RegistryErrorException with error code 40401 when the subject does not exist
     */
    RegisteredSchema latestVersion(String subject);

    /**
     * Version {@code version} under {@code subject} ({@code GET /subjects/{subject}/versions/{version}}).
     *
     * @throws RegistryErrorException with error code 40401 (no such subject) or 40402 (no such version)
     */
    RegisteredSchema version(String subject, int version);

    /** Releases the client's resources; idempotent. */
    @Override
    void close();
}
