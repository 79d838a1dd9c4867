package io.modelpool.schemas.serde;

import java.util.Optional;

/**
 * The schema registry answered, and refused: bad credentials (401/403), a schema not registered under the
 * subject while {@code auto.register.schemas=false}, a subject with no versions while
 * {@code use.latest.version=true}, an invalid schema (42201). Retrying does not help until the configuration
 * or the registry's contents change; it is not the record's fault, so the worker does not dead-letter it.
 */
public class SchemaRegistryException extends AvroSerdeException {
    private final String subject;
    private final int httpStatus;
    private final int errorCode;

    public SchemaRegistryException(
            String problem,
            String topic,
            String subject,
            Integer schemaId,
            int httpStatus,
            int errorCode,
            Throwable cause) {
        super(problem, topic, schemaId, cause);
        this.subject = subject;
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    /** The subject the request was about, if it was about one. */
    public Optional<String> subject() {
        return Optional.ofNullable(subject);
    }

    /** The registry's HTTP status, for example 401 or 404. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code}, for example 40401; the HTTP status when it sent none. */
    public int errorCode() {
        return errorCode;
    }
}
