package io.modelpool.schemas.serde;

/**
 * A serializer was given a record that its schema cannot write: a null in a field that is not nullable, a
 * value of the wrong type, a union value that matches no branch. The caller built the record wrongly.
 */
public class UnencodableRecordException extends AvroSerdeException {
    public UnencodableRecordException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(problem, topic, schemaId, cause);
    }
}
