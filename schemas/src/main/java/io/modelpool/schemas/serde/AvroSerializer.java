package io.modelpool.schemas.serde;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.registry.RestSchemaRegistryClient;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Writes specific (generated) or generic Avro records in the Confluent wire format.
 *
 * <p>Per record: the subject comes from {@code key|value.subject.name.strategy}; the schema id from the
 * registry, by registering the record's schema ({@code auto.register.schemas=true}, the default), by taking
 * the subject's latest version ({@code use.latest.version=true}, converting the record to it), or by looking
 * the record's schema up. Ids are cached, so the registry is asked once per schema and subject.
 *
 * <p>Use {@link ConfluentAvroSerde} to build one in code; Kafka builds one by class name with the no-argument
 * constructor and calls {@link #configure}. Thread-safe once configured; a {@code null} record gives
 * {@code null} (a tombstone).
 *
 * <p>Throws from {@link #serialize}: {@link RegistryUnavailableException} when the registry cannot be reached
 * (retry later), {@link IncompatibleSchemaException} naming the subject when the registry refuses the schema,
 * {@link SchemaRegistryException} for other refusals, {@link UnencodableRecordException} when the record does
 * not match its schema.
 */
public class AvroSerializer<T extends IndexedRecord> implements Serializer<T> {
    private final SchemaRegistryClient sharedClient;
    private volatile AvroSerializerCore core;

    /** For Kafka's by-class-name construction; {@link #configure} builds the registry client. */
    public AvroSerializer() {
        this(null);
    }

    /** Uses {@code client} (not closed by {@link #close()}) instead of building one in {@link #configure}. */
    public AvroSerializer(SchemaRegistryClient client) {
        Contract.trustGeneratedClasses();
        this.sharedClient = client;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = new AvroSerdeConfig(configs);
        AvroSerializerCore previous = core;
        core = sharedClient != null
                ? new AvroSerializerCore(sharedClient, false, config, isKey)
                : new AvroSerializerCore(new RestSchemaRegistryClient(config), true, config, isKey);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public byte[] serialize(String topic, T record) {
        AvroSerializerCore current = core;
        if (current == null) {
            throw new IllegalStateException("AvroSerializer used before configure()");
        }
        return current.serialize(topic, record);
    }

    /** Releases the registry client if this serializer built it; a shared client stays open. */
    @Override
    public void close() {
        AvroSerializerCore current = core;
        if (current != null) {
            current.close();
        }
    }
}
