package io.modelpool.schemas.serde;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.registry.RestSchemaRegistryClient;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Factories for configured Confluent-wire-format Avro serializers, deserializers and serdes, so that callers
 * neither reflect nor call {@code configure} themselves. {@code config} takes the keys of
 * {@link AvroSerdeConfig} (at least {@code schema.registry.url}); other keys are ignored, so a whole producer
 * or consumer configuration can be passed.
 *
 * <p>Each factory without a client argument builds its own registry client, closed with the serde. Processes
 * that build many serdes should build one client with {@link #registryClient} and pass it in, so that all
 * share one cache; such a client is never closed by the serdes.
 */
public final class ConfluentAvroSerde {
    static {
        Contract.trustGeneratedClasses();
    }

    private ConfluentAvroSerde() {}

    /** A registry client configured from the same keys, to share between serdes. */
    public static SchemaRegistryClient registryClient(Map<String, ?> config) {
        return new RestSchemaRegistryClient(new AvroSerdeConfig(config));
    }

    public static <T extends SpecificRecord> Serializer<T> specificSerializer(
            Class<T> type, Map<String, ?> config, boolean isKey) {
        return specificSerializer(type, null, config, isKey);
    }

    public static <T extends SpecificRecord> Serializer<T> specificSerializer(
            Class<T> type, SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
        Objects.requireNonNull(type, "type");
        return configured(new AvroSerializer<T>(client), config, isKey);
    }

    public static <T extends SpecificRecord> Deserializer<T> specificDeserializer(
            Class<T> type, Map<String, ?> config, boolean isKey) {
        return specificDeserializer(type, null, config, isKey);
    }

    public static <T extends SpecificRecord> Deserializer<T> specificDeserializer(
            Class<T> type, SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
        Objects.requireNonNull(type, "type");
        SpecificAvroDeserializer<T> deserializer = new SpecificAvroDeserializer<>(type, client);
        deserializer.configure(config, isKey);
        return deserializer;
    }

    /**
     * A serde for Kafka Streams: {@link #specificSerializer} and {@link #specificDeserializer}, each with its own
     * registry client, both closed when the serde is closed.
     */
    public static <T extends SpecificRecord> Serde<T> specificSerde(
            Class<T> type, Map<String, ?> config, boolean isKey) {
        return Serdes.serdeFrom(specificSerializer(type, config, isKey), specificDeserializer(type, config, isKey));
    }

    public static Serializer<GenericRecord> genericSerializer(Map<String, ?> config, boolean isKey) {
        return genericSerializer(null, config, isKey);
    }

    public static Serializer<GenericRecord> genericSerializer(
            SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
        return configured(new AvroSerializer<GenericRecord>(client), config, isKey);
    }

    /** Reads with the writer schema (or the subject's latest version with {@code use.latest.version=true}). */
    public static Deserializer<GenericRecord> genericDeserializer(Map<String, ?> config, boolean isKey) {
        return genericDeserializer(null, null, config, isKey);
    }

    /** Resolves every record to {@code readerSchema}, so old and new writers give the same shape. */
    public static Deserializer<GenericRecord> genericDeserializer(
            Schema readerSchema, Map<String, ?> config, boolean isKey) {
        return genericDeserializer(readerSchema, null, config, isKey);
    }

    public static Deserializer<GenericRecord> genericDeserializer(
            Schema readerSchema, SchemaRegistryClient client, Map<String, ?> config, boolean isKey) {
        GenericAvroDeserializer deserializer = new GenericAvroDeserializer(readerSchema, client);
        deserializer.configure(config, isKey);
        return deserializer;
    }

    private static <T extends org.apache.avro.generic.IndexedRecord> Serializer<T> configured(
            AvroSerializer<T> serializer, Map<String, ?> config, boolean isKey) {
        serializer.configure(config, isKey);
        return serializer;
    }
}
