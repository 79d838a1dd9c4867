package io.modelpool.worker.pool;

/**
 * Receives the outcome of submitted tasks. One listener may serve several tasks (for example all texts of
 * one request); {@code index} is the task's position in the list passed to {@code submitAll} (0 for a
 * single {@code submit}).
 *
 * <p>Threading: called on a pool worker thread, or, for tasks the pool gives up on, on the thread that made it
 * give up: the caller of {@link ModelPool#abandon()}, {@link ModelPool#close()} or
 * {@link ModelPool#beginShutdown()}, the worker thread whose load failed, or the thread (possibly the submitting
 * one) that found a model too large for the memory budget. Exactly one of the two methods is called exactly once
 * per task, also after shutdown began. Implementations must be quick
 * and must not block: they run on the thread that runs the model.
 *
 * <p>Exceptions: one thrown by {@link #completed} is logged once, with the task's index, model and pool, and the
 * same task is then reported to {@link #failed} with that exception as its cause, so a waiter that only hears of
 * outcomes through this listener is still told. One thrown by {@link #failed} is logged; nothing further is
 * called for that task. Neither affects other tasks. {@code toString()} names the listener in those logs: give it
 * the ids an operator needs (a request id, for example).
 */
public interface TaskListener<O> {

    /** The task ran and produced {@code output}. */
    void completed(int index, O output, TaskTiming timing);

    /**
     * The task did not produce an output: the runner threw for it even when run alone, or the pool gave up
     * on it ({@link PoolRejectedException} with {@link PoolError.ModelLoadFailed} or
     * {@link PoolError.ShuttingDown}).
     */
    void failed(int index, Throwable cause, TaskTiming timing);
}
