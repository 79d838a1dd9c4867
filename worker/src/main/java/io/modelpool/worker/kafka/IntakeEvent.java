package io.modelpool.worker.kafka;

import io.modelpool.worker.capability.Outcome;

/**
 * What other threads tell the intake thread. Pool workers report computed outcomes; the producer's I/O thread
 * reports acknowledgements and failures. Everything else happens on the intake thread.
 */
sealed interface IntakeEvent {

    InFlight record();

    /** The pool finished a request: {@code outcome} (OK or ERROR) is ready to publish. */
    record Computed(InFlight record, Outcome outcome) implements IntakeEvent {}

    /** The broker acknowledged the record's outcome: its offset is done. */
    record Acknowledged(InFlight record) implements IntakeEvent {}

    /**
     * The capability gave the record's work up at shutdown (cut at the model's shutdown grace): nothing is published
     * for it and its offset is not committed, so the partition's next owner runs it whole.
     */
    record Abandoned(InFlight record) implements IntakeEvent {}

    /** Publishing the outcome failed after the producer's own retries; publish it again after a backoff. */
    record PublishFailed(InFlight record, Exception error) implements IntakeEvent {}
}
