package io.modelpool.worker.kafka;

import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * How long to wait for work in flight, and what is left when the wait ends: the shutdown's drain and a
 * revocation's. The drain turns the intake's pump (publish what is ready, take completions and acknowledgements,
 * and, at shutdown, poll with every partition paused) until nothing of what it drains is outstanding or its
 * deadline passes. What is left is the caller's to abandon: its offsets stay uncommitted, so the partition's next
 * owner processes it again.
 *
 * <p>Not thread-safe: runs on the intake thread.
 */
final class Drain {

    /** One turn of the intake's work, waiting at most {@code waitMs} for an event. */
    @FunctionalInterface
    interface Pump {
        void turn(long waitMs);
    }

    /** What a drain did. */
    record Result(int outstandingAtStart, int finished, int left) {}

    private Drain() {}

    /**
     * Pumps until {@code outstanding} reaches zero or {@code deadlineNanos} ({@link System#nanoTime()}) passes, then
     * pumps once more without waiting, so what finished last is published.
     */
    static Result run(IntSupplier outstanding, long deadlineNanos, Pump pump) {
        int atStart = outstanding.getAsInt();
        while (outstanding.getAsInt() > 0) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
            if (leftMs <= 0) {
                break;
            }
            pump.turn(Math.min(leftMs, 20));
        }
        pump.turn(0);
        int left = outstanding.getAsInt();
        return new Result(atStart, atStart - left, left);
    }
}
