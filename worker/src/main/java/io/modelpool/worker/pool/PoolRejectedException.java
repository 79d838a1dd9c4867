package io.modelpool.worker.pool;

import java.util.Objects;

/**
 * Carries a {@link PoolError}. Thrown synchronously by {@code submit} when nothing was queued, and passed to
 * {@link TaskListener#failed} when the pool itself gives up on a queued task (model load failure, abandoned
 * in a timed-out drain).
 */
public final class PoolRejectedException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient PoolError error;

    public PoolRejectedException(PoolError error) {
        super(Objects.requireNonNull(error, "error").describe(), null, false, false);
        this.error = error;
    }

    /** The reason, never null. */
    public PoolError error() {
        return error;
    }
}
