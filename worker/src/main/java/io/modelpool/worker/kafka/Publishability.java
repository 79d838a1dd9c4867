package io.modelpool.worker.kafka;

import io.modelpool.v1.ErrorCode;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;

/**
 * Makes sure every record's outcome can be published, so that no partition waits for ever on one that cannot.
 *
 * <p>A publishing failure is either retriable (a broker or the registry briefly away: the same outcome is sent again
 * after a backoff, without a bound, and never replaced, so a good result is never lost to an outage) or permanent
 * (too large for the producer or the topic, a topic the worker may not write or that cannot exist, an outcome the
 * serializer refuses). A permanent failure concerns one outcome: it is retried {@code attempts} times with a
 * backoff of its own, while other outcomes go on, and then replaced by the next smaller outcome:
 *
 * <ol>
 *   <li>a result becomes an error result ({@code OUTPUT_TOO_LARGE} when too large, {@code INTERNAL} when it could
 *       not be encoded), or, when the result topic itself is refused, a dead letter;</li>
 *   <li>an error result becomes a dead letter;</li>
 *   <li>a dead letter becomes a {@linkplain DeadLetters#minimal minimal} one, without the original value and
 *       headers.</li>
 * </ol>
 *
 * <p>Only a minimal dead letter that the dead-letter topic refuses has nothing smaller: it is retried at the longest
 * backoff with an error log per attempt, because the alternative would be dropping a record silently. That happens
 * only when the dead-letter topic is missing or not writable, which the operator must fix.
 *
 * <p>Not thread-safe: used on the intake thread.
 */
public final class Publishability {

    private final int attempts;
    private final Duration backoff;
    private final Duration backoffMax;

    Publishability(int attempts, Duration backoff, Duration backoffMax) {
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1, was " + attempts);
        }
        this.attempts = attempts;
        this.backoff = backoff;
        this.backoffMax = backoffMax;
    }

    /**
     * Whether {@code error} can never succeed for the same outcome. Searched through the causes: the producer
     * reports a transactional send's failure as the cause of what later calls throw.
     */
    static boolean permanent(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException
                    || t instanceof RecordBatchTooLargeException
                    || t instanceof AuthorizationException
                    || t instanceof InvalidTopicException
                    || t instanceof InvalidRecordException
                    || (t instanceof SerializationException
                            && !(t instanceof RecordCodec.DependencyUnavailableException))) {
                return true;
            }
        }
        return false;
    }

    private static boolean tooLarge(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof RecordTooLargeException || t instanceof RecordBatchTooLargeException) {
                return true;
            }
        }
        return false;
    }

    private static boolean topicRefused(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof AuthorizationException || t instanceof InvalidTopicException) {
                return true;
            }
        }
        return false;
    }

    /** What became of an outcome after a permanent failure. */
    enum Step {
        /** Tried again, as it is, after its own backoff. */
        RETRY,
        /** Replaced by a smaller outcome, to be sent at once. */
        REPLACED,
        /** Nothing smaller exists: retried at the longest backoff. */
        STUCK
    }

    /**
     * Counts a permanent failure of {@code r}'s current outcome and decides what to send next: the same outcome after
     * a backoff of its own, or a smaller one.
     */
    Step failed(InFlight r, Throwable error, DeadLetters deadLetters, long nowMs) {
        r.permanentFailures++;
        if (r.permanentFailures < attempts) {
            r.retryAtMs = nowMs + delay(r.permanentFailures);
            return Step.RETRY;
        }
        r.permanentFailures = 0;
        r.retryAtMs = 0;
        String why = error.getClass().getName() + ": " + error.getMessage();
        switch (r.stage) {
            case RESULT -> {
                if (topicRefused(error)) {
                    r.becomeDeadLetter(deadLetters.of(
                            r.source(),
                            r.original,
                            error.getClass().getName(),
                            "the result could not be published to " + r.outTopic + ": " + why));
                } else if (tooLarge(error)) {
                    r.becomeErrorResult(
                            ErrorCode.OUTPUT_TOO_LARGE,
                            "the result is too large to publish ("
                                    + why + "); ask for a smaller output or raise the result topic's max.message.bytes "
                                    + "and kafka.producer.max.request.size");
                } else {
                    r.becomeErrorResult(ErrorCode.INTERNAL, "the result could not be encoded: " + why);
                }
            }
            case ERROR_RESULT ->
                r.becomeDeadLetter(deadLetters.of(
                        r.source(),
                        r.original,
                        error.getClass().getName(),
                        "neither the result nor an error result could be published to " + r.outTopic + ": " + why));
            case DEAD_LETTER -> r.becomeMinimalDeadLetter(deadLetters.minimal(r.letter, why));
            case MINIMAL_DEAD_LETTER -> {
                r.retryAtMs = nowMs + backoffMax.toMillis();
                return Step.STUCK;
            }
            default -> throw new IllegalStateException("unknown stage " + r.stage);
        }
        return Step.REPLACED;
    }

    /**
     * Checks at start-up that the producer can publish the largest dead letter the limits allow
     * ({@code dead-letter.max-value-bytes}, {@code intake.max-request-bytes}); a result or error result that is too
     * large is replaced at run time ({@link Publishability}), but a dead letter is the last resort.
     *
     * @throws ConfigException naming the two settings and what to change
     */
    public static void check(Map<String, Object> producerSettings, int deadLetterMaxValueBytes, int maxRequestBytes) {
        Object configured = producerSettings.get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        long maxRequestSize = configured == null
                ? 1_048_576L
                : Long.parseLong(configured.toString().trim());
        long largest = DeadLetters.largest(deadLetterMaxValueBytes, maxRequestBytes);
        if (largest > maxRequestSize) {
            throw new ConfigException("kafka.producer.max.request.size=" + maxRequestSize + " is below the largest "
                    + "dead letter the limits allow (" + largest + " bytes: dead-letter.max-value-bytes="
                    + deadLetterMaxValueBytes + " plus " + DeadLetters.ENVELOPE_OVERHEAD_BYTES + " bytes of envelope)"
                    + "; set dead-letter.max-value-bytes to at most "
                    + Math.max(0, maxRequestSize - DeadLetters.ENVELOPE_OVERHEAD_BYTES)
                    + " or kafka.producer.max.request.size to at least " + largest);
        }
    }

    private long delay(int failures) {
        long ms = backoff.toMillis() << Math.min(20, failures - 1);
        return Math.min(ms, backoffMax.toMillis());
    }
}
