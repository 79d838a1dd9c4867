package io.modelpool.worker.pool;

/**
 * Opens one {@link BatchRunner} per worker of a model. Called on the worker's own thread when the worker
 * starts, so a slow model load never blocks a submitting thread: on each load of the model (its first task, a
 * warm-up, the first task after an unload or after a failed load's backoff) and on each scale-up. Must be
 * thread-safe: a model's workers open their runners concurrently.
 */
@FunctionalInterface
public interface RunnerFactory<I, O> {

    /**
     * Opens the runner for worker {@code workerIndex}: the lowest index (from 0) that no live worker of the model
     * holds, so indexes are reused once their worker has ended. An exception marks that worker failed; when every worker of a load
     * fails, the load fails with the message of the last worker's exception.
     */
    BatchRunner<I, O> open(int workerIndex) throws Exception;
}
