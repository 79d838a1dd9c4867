package io.modelpool.worker.capability.texttotext;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * When generations must stop because the worker is shutting down. The pool's shutdown flag says that a
 * drain began; long generations then get {@code grace} (counted from the first time any generation of the
 * model saw the flag) to finish on their own, and after it end with what they have, so that they are
 * published within the drain instead of being abandoned and redone elsewhere.
 *
 * <p>Thread-safe; polled between decode steps by every worker of one model.
 */
final class ShutdownGrace {

    private final BooleanSupplier shuttingDown;
    private final long graceNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong firstSeenNanos = new AtomicLong(Long.MIN_VALUE);

    ShutdownGrace(BooleanSupplier shuttingDown, Duration grace, LongSupplier nanoClock) {
        this.shuttingDown = shuttingDown;
        this.graceNanos = grace.toNanos();
        this.nanoClock = nanoClock;
    }

    /** True once the pool is shutting down and the grace has run out. */
    boolean expired() {
        if (!shuttingDown.getAsBoolean()) {
            return false;
        }
        long now = nanoClock.getAsLong();
        firstSeenNanos.compareAndSet(Long.MIN_VALUE, now);
        return now - firstSeenNanos.get() >= graceNanos;
    }
}
