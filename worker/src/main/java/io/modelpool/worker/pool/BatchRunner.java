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
     * Releases the runner's native resources; called once on its worker thread when the worker stops: the pool
     * closes, the model is unloaded, or the worker is retired by scale-down.
     */
    @Override
    void close() throws Exception;
}
