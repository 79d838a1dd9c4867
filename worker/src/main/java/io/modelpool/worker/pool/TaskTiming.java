package io.modelpool.worker.pool;

/**
 * When a task was submitted and when the batch that ran it started and finished, as {@link System#nanoTime()}
 * values, and how many tasks that batch held. For a task that never ran, {@code startedNanos} and
 * {@code finishedNanos} are both the moment the pool gave up on it, and {@code batchSize} is 0.
 */
public record TaskTiming(long submittedNanos, long startedNanos, long finishedNanos, int batchSize) {

    /** From submission until its batch started. */
    public long queuedNanos() {
        return startedNanos - submittedNanos;
    }

    /** Wall time of the batch that ran it; 0 when it never ran. */
    public long runNanos() {
        return finishedNanos - startedNanos;
    }
}
