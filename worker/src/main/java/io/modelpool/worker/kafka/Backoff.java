package io.modelpool.worker.kafka;

import java.time.Duration;

/**
 * Exponential backoff for a failing dependency: the first delay is {@code initial}, each failure doubles it up to
 * {@code max}, and a success resets it. Used while the schema registry or broker is unavailable, when intake pauses
 * instead of dead-lettering good records.
 *
 * <p>Not thread-safe.
 */
final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private long currentMs;
    private long readyAtMs;
    private int failures;

    public Backoff(Duration initial, Duration max) {
        if (initial.isNegative() || initial.isZero() || max.compareTo(initial) < 0) {
            throw new IllegalArgumentException("backoff needs 0 < initial <= max, got " + initial + " and " + max);
        }
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
        this.currentMs = initialMs;
    }

    /** Records a failure at {@code nowMs}; returns the delay until the next attempt. */
    public long failed(long nowMs) {
        long delay = currentMs;
        readyAtMs = nowMs + delay;
        currentMs = Math.min(maxMs, currentMs * 2);
        failures++;
        return delay;
    }

    /** Records a success: the next failure starts from the initial delay again. */
    public void succeeded() {
        currentMs = initialMs;
        readyAtMs = 0;
        failures = 0;
    }

    /** Whether the delay after the last failure has passed. */
    public boolean ready(long nowMs) {
        return nowMs >= readyAtMs;
    }

    /** Consecutive failures since the last success. */
    public int failures() {
        return failures;
    }
}
