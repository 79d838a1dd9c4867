package io.modelpool.schemas.serde;

import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.RestSchemaRegistryClient;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.registry.SubjectNameStrategy;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Reads Confluent-framed Avro records as {@link GenericRecord}s. The reader schema is, in order: the one given
 * to the constructor, {@code avro.key.reader.schema} / {@code avro.value.reader.schema}, the subject's latest
 * version when {@code use.latest.version=true}, or the writer schema.
 *
 * <p>Same null handling, exceptions and threading as {@link SpecificAvroDeserializer}; a value whose schema
 * is not a record (a bare string, say) is a {@link MalformedAvroException}.
 */
public class GenericAvroDeserializer implements Deserializer<GenericRecord> {
    private final Schema readerSchema;
    private final SchemaRegistryClient sharedClient;
    private volatile AvroDeserializerCore<Object> core;

    /** For Kafka's by-class-name construction. */
    public GenericAvroDeserializer() {
        this(null, null);
    }

    /**
     * @param readerSchema the schema records are resolved to, or null (see the class comment)
     * @param client a shared registry client (not closed by {@link #close()}), or null to build one
     */
    public GenericAvroDeserializer(Schema readerSchema, SchemaRegistryClient client) {
        this.readerSchema = readerSchema;
        this.sharedClient = client;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        AvroSerdeConfig config = new AvroSerdeConfig(configs);
        SchemaRegistryClient client = sharedClient != null ? sharedClient : new RestSchemaRegistryClient(config);
        Schema reader =
                readerSchema != null ? readerSchema : config.readerSchema(isKey).orElse(null);
        SubjectNameStrategy strategy = config.subjectNameStrategy(isKey);
        AvroDeserializerCore.ReaderChoice<Object> choice = AvroDeserializerCore.generic(
                reader,
                config.useLatestVersion()
                        ? (topic, writer) -> latest(client, strategy.subjectName(topic, isKey, writer), writer)
                        : null);
        AvroDeserializerCore<Object> previous = core;
        core = new AvroDeserializerCore<>(client, sharedClient == null, config, choice);
        if (previous != null) {
            previous.close();
        }
    }

    /** A subject with no versions yet has nothing newer than the writer: read with the writer schema. */
    private static Schema latest(SchemaRegistryClient client, String subject, Schema writer) {
        try {
            return client.latestVersion(subject).schema();
        } catch (RegistryErrorException e) {
            if (e.errorCode() == RegistryErrorException.SUBJECT_NOT_FOUND) {
                return writer;
            }
            throw e;
        }
    }

    @Override
    public GenericRecord deserialize(String topic, byte[] data) {
        AvroDeserializerCore<Object> current = core;
        if (current == null) {
            throw new IllegalStateException("GenericAvroDeserializer used before configure()");
        }
        Object value = current.deserialize(topic, data);
        if (value == null || value instanceof GenericRecord) {
            return (GenericRecord) value;
        }
        throw new MalformedAvroException(
                "not a record: the value is a " + value.getClass().getSimpleName()
                        + ", this deserializer reads records only",
                topic,
                ConfluentWireFormat.readSchemaId(data),
                null);
    }

    /** Releases the registry client if this deserializer built it. */
    @Override
    public void close() {
        AvroDeserializerCore<Object> current = core;
        if (current != null) {
            current.close();
        }
    }
}
