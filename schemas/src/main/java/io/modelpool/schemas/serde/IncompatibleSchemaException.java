package io.modelpool.schemas.serde;

/**
 * The registry refused to register the record's schema under the subject because it breaks the subject's
 * compatibility rule (HTTP 409), or, with {@code use.latest.version=true} and
 * {@code latest.compatibility.strict=true}, the latest registered version cannot read records of the
 * record's schema. The message names the subject. Evolve the schema compatibly (add fields with defaults).
 */
public class IncompatibleSchemaException extends SchemaRegistryException {
    public IncompatibleSchemaException(
            String problem,
            String topic,
            String subject,
            Integer schemaId,
            int httpStatus,
            int errorCode,
            Throwable cause) {
        super(problem, topic, subject, schemaId, httpStatus, errorCode, cause);
    }
}
