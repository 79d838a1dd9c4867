package io.modelpool.schemas.serde;

/**
 * The record's bytes cannot be turned into a record, and reading them again will fail the same way: the
 * record is at fault, not a dependency. The worker dead-letters such a record and moves on. No partially
 * decoded object ever escapes.
 */
public abstract class UndecodableRecordException extends AvroSerdeException {
    protected UndecodableRecordException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(problem, topic, schemaId, cause);
    }
}
