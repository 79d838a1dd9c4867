package io.modelpool.worker.pool;

/**
 * Told about every batch a model's worker ran, for metrics and debug logs. Set with
 * {@link ModelPool#observeBatches(BatchObserver)}.
 *
 * <p>Threading: called on the pool worker thread that ran the batch, right after the run and before the
 * batch's tasks are completed. Implementations must be quick and must not block or call back into the pool;
 * an exception thrown here is logged and does not affect the batch's tasks. Not called for tasks the pool
 * gives up on without running them (shutdown, load failure).
 */
@FunctionalInterface
public interface BatchObserver {

    /**
     * One run of the model's runner.
     *
     * @param model    the model key
     * @param size     tasks in the batch
     * @param tokens   the sum of the tasks' lengths (as given by the pool's {@code lengthOf})
     * @param runNanos wall time of the run
     * @param failed   whether the runner threw; a failed batch of several tasks is then run again one task
     *                 at a time, and each of those runs is reported too
     */
    void batchRan(String model, int size, long tokens, long runNanos, boolean failed);

    /** Observes nothing. */
    BatchObserver NONE = (model, size, tokens, runNanos, failed) -> {};
}
