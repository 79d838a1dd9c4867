package io.modelpool.worker.pool;

/** Where a model's workers stand. */
public enum ModelState {
    /**
     * No worker holds a runner: the model was never used, or it was unloaded (idle, or to make room in the memory
     * budget). The next submission, {@link ModelPool#load} or {@link ModelPool#awaitLoaded} loads it.
     */
    UNLOADED,
    /**
     * A load was asked for: workers are opening their runners, or wait for room in the memory budget. Submitted
     * tasks wait in the queue.
     */
    LOADING,
    /** At least one worker opened its runner and is taking tasks. */
    READY,
    /**
     * The last load failed on every worker: its queued tasks failed with {@link PoolError.ModelLoadFailed}, and
     * submissions fail the same way until the retry backoff has passed; the first submission after it loads again.
     */
    FAILED,
    /** The pool was closed. */
    CLOSED
}
