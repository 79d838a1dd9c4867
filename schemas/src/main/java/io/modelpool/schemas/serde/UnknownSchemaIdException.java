package io.modelpool.schemas.serde;

/**
 * The schema id in the header is not known to the registry (it answered 40403). The record was written
 * against another registry or its schema was deleted for good. Dead-letter the record.
 */
public class UnknownSchemaIdException extends UndecodableRecordException {
    public UnknownSchemaIdException(String topic, int schemaId, Throwable cause) {
        super("unknown schema id: the schema registry has no schema with id " + schemaId, topic, schemaId, cause);
    }
}
