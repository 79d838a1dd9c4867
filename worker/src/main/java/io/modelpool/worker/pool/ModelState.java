package io.modelpool.worker.pool;

/** Where a model's workers stand. */
public enum ModelState {
    /** Workers are opening their runners; submitted tasks wait in the queue. */
    LOADING,
    /** At least one worker opened its runner and is taking tasks. */
    READY,
    /** Every worker failed to open its runner; submissions fail with {@link PoolError.ModelLoadFailed}. */
    FAILED,
    /** The pool was closed. */
    CLOSED
}
