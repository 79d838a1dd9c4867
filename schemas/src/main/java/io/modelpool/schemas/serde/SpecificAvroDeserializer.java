package io.modelpool.schemas.serde;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.registry.RestSchemaRegistryClient;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro into a generated class. The generated class's schema is the reader schema, so
 * records written with older or newer versions of it are resolved to the class's fields (new fields take
 * their defaults, removed fields are skipped).
 *
 * <p>The class is the one given to the constructor; for by-class-name construction it comes from
 * {@code specific.avro.key.type} / {@code specific.avro.value.type}, or else from the writer schema's full
 * name.
 *
 * <p>{@link #deserialize} returns {@code null} for {@code null} (a tombstone) and otherwise either a complete
 * record or an exception, never a partly filled object: an {@link UndecodableRecordException} subtype when the
 * bytes are at fault ({@link WrongMagicByteException}, {@link TruncatedPayloadException},
 * {@link UnknownSchemaIdException}, {@link MalformedAvroException}), {@link RegistryUnavailableException} when
 * the registry could not be reached, {@link SchemaRegistryException} when it refused for another reason.
 * Thread-safe once configured.
 */
public class SpecificAvroDeserializer<T extends SpecificRecord> implements Deserializer<T> {
    private final Class<T> type;
    private final SchemaRegistryClient sharedClient;
    private volatile AvroDeserializerCore<T> core;

    /** For Kafka's by-class-name construction. */
    public SpecificAvroDeserializer() {
        this(null, null);
    }

    /**
     * @param type the generated class to read into, or null to take it from configuration or the writer schema
     * @param client a shared registry client (not closed by {@link #close()}), or null to build one
     */
    public SpecificAvroDeserializer(Class<T> type, SchemaRegistryClient client) {
        Contract.trustGeneratedClasses();
        this.type = type;
        this.sharedClient = client;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = new AvroSerdeConfig(configs);
        Class<T> target =
                type != null ? type : (Class<T>) config.specificType(isKey).orElse(null);
        AvroDeserializerCore.ReaderChoice<T> choice =
                (AvroDeserializerCore.ReaderChoice<T>) (AvroDeserializerCore.ReaderChoice<?>)
                        AvroDeserializerCore.specific((Class<? extends SpecificRecord>) target, config.cacheCapacity());
        AvroDeserializerCore<T> previous = core;
        core = sharedClient != null
                ? new AvroDeserializerCore<>(sharedClient, false, config, choice)
                : new AvroDeserializerCore<>(new RestSchemaRegistryClient(config), true, config, choice);
        if (previous != null) {
            previous.close();
        }
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        AvroDeserializerCore<T> current = core;
        if (current == null) {
            throw new IllegalStateException("SpecificAvroDeserializer used before configure()");
        }
        return current.deserialize(topic, data);
    }

    /** Releases the registry client if this deserializer built it. */
    @Override
    public void close() {
        AvroDeserializerCore<T> current = core;
        if (current != null) {
            current.close();
        }
    }
}
