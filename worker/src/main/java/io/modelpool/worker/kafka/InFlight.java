package io.modelpool.worker.kafka;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.Outcome;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;

/**
 * One consumed record on its way to an acknowledged outcome: where it came from (partition, offset and the ledger
 * epoch it was registered under), and, once known, what to publish for it.
 *
 * <p>Created and read on the intake thread; pool threads only hand it back through the event queue. The producer's
 * I/O thread writes {@link #sendError} only.
 */
final class InFlight {

    /** Which outcome is to be published; each later stage is smaller (see {@link Publishability}). */
    enum Stage {
        RESULT,
        ERROR_RESULT,
        DEAD_LETTER,
        MINIMAL_DEAD_LETTER
    }

    /** Builds an error result for this record's request, for a result that cannot be published. */
    @FunctionalInterface
    interface ErrorResults {
        Outcome errorResult(ErrorCode code, String message);
    }

    final TopicPartition partition;
    final long offset;
    final long epoch;
    final Capability capability;
    final long recordTimestampMs;
    final Headers headers;
    final byte[] originalKey;
    /** What a dead letter of this record keeps of its value. */
    final DeadLetters.Original original;

    /** Where the record is; the {@link InFlightTracker} moves it. */
    InFlightTracker.State state = InFlightTracker.State.DISPATCHED;

    /** What to publish: set once the outcome is known. */
    String outTopic;

    byte[] outKey;
    /** The result or error result to publish, at the result stages. */
    Outcome result;
    /** The dead letter to publish, at the dead-letter stages. */
    DeadLetter letter;

    Stage stage = Stage.RESULT;
    /** Null for a record dead-lettered at dispatch. */
    ErrorResults errorResults;
    /** The result topic, for an error result that replaces a result. */
    String resultTopic;
    /** An interactive request's outcome: published at once, without the {@link PublishGate}'s linger. */
    boolean interactive;

    String deadLetterTopic;

    /** Permanent publishing failures of the current outcome; reset when a smaller one replaces it. */
    int permanentFailures;
    /** Not sent again before this time (epoch ms), after a permanent failure. */
    long retryAtMs;
    /** Exactly once: the failure the producer reported for this record's send in the open transaction. */
    volatile Exception sendError;

    InFlight(
            TopicPartition partition,
            long offset,
            long epoch,
            Capability capability,
            long recordTimestampMs,
            Headers headers,
            byte[] originalKey,
            DeadLetters.Original original) {
        this.partition = partition;
        this.offset = offset;
        this.epoch = epoch;
        this.capability = capability;
        this.recordTimestampMs = recordTimestampMs;
        this.headers = headers;
        this.originalKey = originalKey;
        this.original = original;
    }

    /** The size of the request record's value, in bytes (0 for a tombstone). */
    long requestBytes() {
        return original == null || original.tombstone() ? 0 : original.size();
    }

    /** Sets the outcome the capability computed: a result (OK or ERROR) keyed by its request id. */
    void becomeResult(Outcome outcome) {
        stage = Stage.RESULT;
        outTopic = resultTopic;
        outKey = outcome.envelope().requestId().getBytes(StandardCharsets.UTF_8);
        result = outcome;
    }

    /** Tells {@code listener} that this record's outcome was acknowledged. */
    void reportAcknowledged(IntakeListener listener) {
        if (deadLetter()) {
            listener.deadLettered(capability, letter, recordTimestampMs);
        } else {
            listener.answered(capability, result.envelope(), recordTimestampMs);
        }
    }

    /** Whether the outcome is a dead letter (as opposed to a result or error result). */
    boolean deadLetter() {
        return stage == Stage.DEAD_LETTER || stage == Stage.MINIMAL_DEAD_LETTER;
    }

    DeadLetters.Source source() {
        return new DeadLetters.Source(partition.topic(), partition.partition(), offset, recordTimestampMs, originalKey);
    }

    void becomeErrorResult(ErrorCode code, String message) {
        if (errorResults == null) {
            throw new IllegalStateException(this + " has no request to answer with an error result");
        }
        stage = Stage.ERROR_RESULT;
        outTopic = resultTopic;
        result = errorResults.errorResult(code, message);
    }

    void becomeDeadLetter(DeadLetter letter) {
        stage = Stage.DEAD_LETTER;
        outTopic = deadLetterTopic;
        outKey = originalKey;
        this.letter = letter;
    }

    void becomeMinimalDeadLetter(DeadLetter letter) {
        stage = Stage.MINIMAL_DEAD_LETTER;
        outTopic = deadLetterTopic;
        outKey = null;
        this.letter = letter;
    }

    @Override
    public String toString() {
        return partition + "@" + offset;
    }
}
