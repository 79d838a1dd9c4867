package io.modelpool.worker.pool;

/**
 * Opens one {@link BatchRunner} per worker of a model. Called on the worker's own thread when the worker
 * starts, so a slow model load never blocks a submitting thread. Must be thread-safe: a model's workers
 * open their runners concurrently.
 */
@FunctionalInterface
public interface RunnerFactory<I, O> {

    /** Opens the runner for worker {@code workerIndex} (0-based); an exception marks that worker failed. */
    BatchRunner<I, O> open(int workerIndex) throws Exception;
}
