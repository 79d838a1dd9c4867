package io.modelpool.schemas.serde;

/**
 * The schema registry could not be reached within the bounded retries: connection refused, timeouts, or 5xx
 * answers on every attempt. Nothing is known about the record, which is probably fine. The worker pauses its
 * partitions and retries the same record later; it never dead-letters a record for this.
 */
public class RegistryUnavailableException extends AvroSerdeException {
    public RegistryUnavailableException(String problem, String topic, Integer schemaId, Throwable cause) {
        super(problem, topic, schemaId, cause);
    }
}
