package io.modelpool.worker.kafka;

import java.time.Duration;

/**
 * What a blocking client call (a commit, a close, a flush) may take: the close timeout while the intake runs, and
 * once its shutdown has started, what is left of the shutdown's one deadline (drain plus close timeout, counted
 * from the signal), shared by every step after the drain.
 *
 * <p>Set on the intake thread; read there and by the delivery it drives.
 */
final class CloseBudget {

    private final Duration closeTimeout;
    private volatile long deadlineNanos = Long.MAX_VALUE;

    CloseBudget(Duration closeTimeout) {
        this.closeTimeout = closeTimeout;
    }

    /** From now on every call shares what is left until {@code deadlineNanos} ({@link System#nanoTime()}). */
    void shutdownUntil(long deadlineNanos) {
        this.deadlineNanos = deadlineNanos;
    }

    /** The close timeout while running; what is left of the shutdown's deadline once it has started (never < 0). */
    Duration get() {
        long deadline = deadlineNanos;
        return deadline == Long.MAX_VALUE ? closeTimeout : Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    /** Null while running; {@link #get()} once the shutdown has started. */
    Duration atShutdown() {
        return deadlineNanos == Long.MAX_VALUE ? null : get();
    }
}
