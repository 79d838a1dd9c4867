package io.modelpool.worker.pool;

import java.util.List;

/**
 * Runs batches of tasks for one worker of one model; typically it owns one inference session.
 *
 * <p>Threading: created, used and closed on its worker's thread only, so it needs no synchronisation of its
 * own. The pool sorts a batch by task length, shortest first.
 */
@SuppressWarnings("try") // close() may throw any exception of the runner's resources; the pool logs it
public interface BatchRunner<I, O> extends AutoCloseable {

    /**
     * Runs one batch and returns one output per input, in the same order. If it throws, the pool runs every
     * task of a multi-task batch again alone, so one bad task fails only itself.
     */
    List<O> run(List<I> inputs) throws Exception;

    /**
     * Asks the run in progress, if any, to stop as soon as it can, and every later run to fail at once. The pool
     * calls it when it closes and gives up on a batch still running (its tasks were already failed, so its outputs
     * would be dropped): a native run that is terminated lets its worker end and close the runner within the close
     * budget instead of outliving it. A run that stops this way may throw anything; the pool ignores it.
     *
     * <p>Threading: the only method called from another thread than the worker's (the one closing the pool), at any
     * moment, also while or after {@link #close()} runs; it must be thread-safe, must not block, and must do nothing
     * once the runner is closed. The default does nothing: the run goes on, and the pool stops waiting for it when
     * its close budget ends.
     */
    default void terminate() {}

    /**
     * Releases the runner's native resources; called once on its worker thread when the worker stops: the pool
     * closes, the model is unloaded, or the worker is retired by scale-down.
     */
    @Override
    void close() throws Exception;
}
