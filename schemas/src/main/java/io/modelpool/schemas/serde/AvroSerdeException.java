package io.modelpool.schemas.serde;

import java.util.Optional;
import java.util.OptionalInt;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Base of every exception the modelpool Avro serde throws. The message names the topic, the schema id where
 * one is known, and the cause. Subtypes say what the caller should do:
 *
 * <ul>
 *   <li>{@link UndecodableRecordException} and its subtypes ({@link WrongMagicByteException},
 *       {@link TruncatedPayloadException}, {@link UnknownSchemaIdException}, {@link MalformedAvroException}):
 *       the record's bytes are at fault; reading them again gives the same error. Dead-letter the record.
 *   <li>{@link RegistryUnavailableException}: the schema registry could not be reached; the record may be
 *       perfectly good. Pause, retry later, never dead-letter.
 *   <li>{@link SchemaRegistryException} (and {@link IncompatibleSchemaException}): the registry refused a
 *       request for a reason that is not the record's fault (credentials, a schema not registered while
 *       auto-registration is off, an incompatible schema). Fix the configuration or the schema.
 *   <li>{@link UnencodableRecordException}: a serializer was given a record that does not match its own schema.
 * </ul>
 */
public abstract class AvroSerdeException extends SerializationException {
    private final String topic;
    private final Integer schemaId;

    protected AvroSerdeException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(describe(problem, topic, schemaId), cause);
        this.topic = topic;
        this.schemaId = schemaId;
    }

    /** The topic the record was read from or written to, if the caller passed one. */
    public Optional<String> topic() {
        return Optional.ofNullable(topic);
    }

    /** The schema id from the record's header or the registry, if it got that far. */
    public OptionalInt schemaId() {
        return schemaId == null ? OptionalInt.empty() : OptionalInt.of(schemaId);
    }

    private static String describe(String problem, String topic, Integer schemaId) {
        StringBuilder where = new StringBuilder(" (topic ").append(topic == null ? "unknown" : "'" + topic + "'");
        if (schemaId != null) {
            where.append(", schema id ").append(schemaId);
        }
        where.append(')');
        int colon = problem.indexOf(": ");
        // "what went wrong (topic 't', schema id 7): detail" reads better than the location at the very end.
        return colon < 0 ? problem + where : problem.substring(0, colon) + where + problem.substring(colon);
    }
}
