package io.modelpool.worker.kafka;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.registry.NotAvroSchemaException;
import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.RegistryUnreachableException;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.serde.AvroSerdeException;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.schemas.serde.ConfluentWireFormat;
import io.modelpool.schemas.serde.RegistryUnavailableException;
import io.modelpool.schemas.serde.UndecodableRecordException;
import io.modelpool.v1.Capability;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link RecordCodec} over the schemas module's Confluent-wire Avro serde, with one registry client (and so one id
 * and schema cache) shared by every topic. On decoding, only an {@link UndecodableRecordException} (wrong magic
 * byte, truncated frame, unknown schema id, malformed Avro) is the record's fault and leads to a dead letter; every
 * other serde failure (registry unavailable, credentials refused) is a dependency failure the intake waits out. Requests are read into the generated class of their topic's capability,
 * with Avro schema resolution from whatever compatible writer schema the producer used.
 *
 * <p>Writer schemas the client has not cached are looked up by {@link #prepare} on {@link SchemaLookups}' threads at
 * a bounded rate, never on the intake thread; the client remembers ids the registry does not know
 * ({@code schema.registry.missing.id.cache.ttl.sec}), so a flood of records with unknown ids costs one call per
 * distinct id. {@link #close()} stops the lookup threads.
 */
public final class SerdeCodec implements RecordCodec, AutoCloseable {

    /** Registry lookups per second by default ({@code intake.schema-lookups-per-second}). */
    public static final double DEFAULT_LOOKUPS_PER_SECOND = 1_000;
    /** Registry lookups at once by default ({@code intake.schema-lookup-threads}). */
    public static final int DEFAULT_LOOKUP_THREADS = 4;

    private final SchemaRegistryClient registry;
    private final SchemaLookups lookups;
    private final Map<String, Deserializer<? extends SpecificRecord>> requestDeserializers = new HashMap<>();
    private final Serializer<SpecificRecord> serializer;

    public SerdeCodec(Map<String, Object> registryConfig, String topicPrefix, Set<Capability> capabilities) {
        this(registryConfig, topicPrefix, capabilities, DEFAULT_LOOKUPS_PER_SECOND, DEFAULT_LOOKUP_THREADS);
    }

    /**
     * @param lookupsPerSecond registry lookups of uncached writer schemas per second, on average
     * @param lookupThreads registry lookups at once
     */
    public SerdeCodec(
            Map<String, Object> registryConfig,
            String topicPrefix,
            Set<Capability> capabilities,
            double lookupsPerSecond,
            int lookupThreads) {
        this(registryConfig, topicPrefix, capabilities, lookupsPerSecond, lookupsPerSecond, () -> false, lookupThreads);
    }

    /**
     * @param lookupsPerSecond registry lookups of uncached writer schemas per second, on average, while the pools
     *                         have no work
     * @param lookupsPerSecondWhileBusy the same while {@code busy} says they have (good work first)
     * @param busy whether the model pools have work queued or running; thread-safe
     * @param lookupThreads registry lookups at once
     */
    public SerdeCodec(
            Map<String, Object> registryConfig,
            String topicPrefix,
            Set<Capability> capabilities,
            double lookupsPerSecond,
            double lookupsPerSecondWhileBusy,
            BooleanSupplier busy,
            int lookupThreads) {
        this.registry = ConfluentAvroSerde.registryClient(registryConfig);
        this.lookups =
                new SchemaLookups(this::lookUp, lookupsPerSecond, lookupsPerSecondWhileBusy, busy, lookupThreads);
        for (Capability c : capabilities) {
            var deserializer =
                    ConfluentAvroSerde.specificDeserializer(Contract.requestClass(c), registry, registryConfig, false);
            requestDeserializers.put(Topics.requests(topicPrefix, c), deserializer);
            requestDeserializers.put(Topics.bulkRequests(topicPrefix, c), deserializer);
        }
        this.serializer = ConfluentAvroSerde.specificSerializer(SpecificRecord.class, registry, registryConfig, false);
    }

    @Override
    public CompletableFuture<Void> prepare(String topic, byte[] value) {
        OptionalInt id = value == null || value.length == 0 || value[0] != ConfluentWireFormat.MAGIC_BYTE
                ? OptionalInt.empty()
                : ConfluentWireFormat.peekSchemaId(value);
        if (id.isEmpty() || !requestDeserializers.containsKey(topic) || registry.answersFromCache(id.getAsInt())) {
            return CompletableFuture.completedFuture(null);
        }
        // The lookup's own future, shared by every record with this id: they all see it answered at the same
        // moment, so the intake never finds a later record of a partition ready before an earlier one (a future
        // derived per record would be completed one by one, in reverse order)
        return lookups.fetch(id.getAsInt());
    }

    /**
     * One registry lookup, on a lookup thread: returns once the registry answered for {@code id} (found, or a definite
     * answer about the id that decode turns into a dead letter); throws {@link DependencyUnavailableException} when
     * it could not answer.
     */
    private void lookUp(int id) {
        try {
            registry.schemaById(id);
        } catch (NotAvroSchemaException e) {
            // a definite answer: decode dead-letters the record
        } catch (RegistryErrorException e) {
            if (e.errorCode() != RegistryErrorException.SCHEMA_NOT_FOUND) {
                throw unavailable(id, e);
            }
        } catch (RuntimeException e) {
            throw unavailable(id, e);
        }
    }

    private static DependencyUnavailableException unavailable(int id, RuntimeException cause) {
        return new DependencyUnavailableException(
                "schema registry unavailable while looking up schema id " + id + ": " + cause.getMessage(), cause);
    }

    @Override
    public SpecificRecord decode(String topic, Headers headers, byte[] value) {
        Deserializer<? extends SpecificRecord> d = requestDeserializers.get(topic);
        if (d == null) {
            throw new SerializationException("topic " + topic + " is not a request topic of this worker");
        }
        try {
            return d.deserialize(topic, headers, value);
        } catch (UndecodableRecordException e) {
            throw e;
        } catch (AvroSerdeException e) {
            // Not the record's fault (registry down, credentials refused, ...): dead-lettering would throw away
            // good records, so the intake pauses and retries instead.
            throw new DependencyUnavailableException(e.getMessage(), e);
        }
    }

    @Override
    public byte[] encode(String topic, Headers headers, SpecificRecord value) {
        try {
            return serializer.serialize(topic, headers, value);
        } catch (RegistryUnavailableException | RegistryUnreachableException e) {
            throw new DependencyUnavailableException(e.getMessage(), e);
        }
    }

    /** Stops the lookup threads; the registry client has nothing to release. */
    @Override
    public void close() {
        lookups.close();
        registry.close();
    }
}
