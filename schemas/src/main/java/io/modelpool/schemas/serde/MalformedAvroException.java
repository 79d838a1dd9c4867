package io.modelpool.schemas.serde;

/**
 * The Avro body does not parse with its writer schema, cannot be resolved to the reader schema, has bytes left
 * over after the record, or breaks a decoding limit (a payload larger than {@code max.payload.bytes}, a
 * declared string, bytes or collection length larger than the payload can hold or than Avro's limits allow).
 * Also thrown when the schema id names a schema that is not Avro. Dead-letter the record.
 */
public class MalformedAvroException extends UndecodableRecordException {
    public MalformedAvroException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(problem, topic, schemaId, cause);
    }
}
