package io.modelpool.worker.capability;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * When long-running inference (a generation's decode steps, a diffusion's denoising steps) must stop because
 * the worker is shutting down. The pool's shutdown flag says that a drain began; work in flight then gets
 * {@code grace} (counted from the first time any of it saw the flag) to finish on its own, and after it ends
 * early, so that its answer is published within the drain instead of the drain timing out on it.
 *
 * <p>Thread-safe; polled between steps by every worker of a pool. {@code grace} must be below the worker's
 * drain timeout: {@link CapabilityRegistry#fromManifest(io.modelpool.worker.manifest.ModelManifest,
 * java.time.Duration)} refuses a manifest whose grace is not.
 */
public final class ShutdownGrace {

    private final BooleanSupplier shuttingDown;
    private final long graceNanos;
    private final LongSupplier nanoClock;
    private final AtomicLong firstSeenNanos = new AtomicLong(Long.MIN_VALUE);

    /**
     * @param shuttingDown the pool's shutdown flag, for example {@code pool::isShuttingDown}
     * @param nanoClock    {@link System#nanoTime()} or a test clock
     */
    public ShutdownGrace(BooleanSupplier shuttingDown, Duration grace, LongSupplier nanoClock) {
        this.shuttingDown = shuttingDown;
        this.graceNanos = grace.toNanos();
        this.nanoClock = nanoClock;
    }

    /** True once the pool is shutting down and the grace has run out. */
    public boolean expired() {
        if (!shuttingDown.getAsBoolean()) {
            return false;
        }
        long now = nanoClock.getAsLong();
        firstSeenNanos.compareAndSet(Long.MIN_VALUE, now);
        return now - firstSeenNanos.get() >= graceNanos;
    }
}
