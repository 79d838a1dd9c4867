package io.modelpool.schemas.serde;

/**
 * The value ends too early: shorter than the 5-byte header (magic byte and schema id), or the Avro body stops
 * before the schema says it should. Dead-letter the record.
 */
public class TruncatedPayloadException extends UndecodableRecordException {
    public TruncatedPayloadException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(problem, topic, schemaId, cause);
    }
}
