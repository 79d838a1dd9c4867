package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link PoolMaintenance} treats one model: the bounds its worker count scales between, how long it may sit idle
 * before it is unloaded, and how much memory each of its workers is estimated to hold (each worker owns a runner, and
 * with it its own copy of the model's weights). The pool never derives these from a model's name: the caller passes
 * them, for example from a manifest.
 *
 * @param minWorkers     workers kept while the model is loaded (at least 1); idle workers above it are retired
 * @param maxWorkers     most workers spawned while work waits
 * @param idleUnload     unload the model after it has had no task queued or running for this long; zero never
 * @param bytesPerWorker estimated memory one worker's runner holds, counted against the memory budget; zero when
 *                       unknown (the model then costs nothing in the budget)
 */
public record MaintenancePolicy(int minWorkers, int maxWorkers, Duration idleUnload, long bytesPerWorker) {

    public MaintenancePolicy {
        Objects.requireNonNull(idleUnload, "idleUnload");
        if (minWorkers < 1) {
            throw new IllegalArgumentException("minWorkers = " + minWorkers + " is invalid; allowed: >= 1");
        }
        if (maxWorkers < minWorkers) {
            throw new IllegalArgumentException(
                    "maxWorkers = " + maxWorkers + " is invalid; allowed: >= minWorkers (" + minWorkers + ")");
        }
        if (idleUnload.isNegative()) {
            throw new IllegalArgumentException("idleUnload = " + idleUnload + " is invalid; allowed: >= 0");
        }
        if (bytesPerWorker < 0) {
            throw new IllegalArgumentException("bytesPerWorker = " + bytesPerWorker + " is invalid; allowed: >= 0");
        }
    }

    /** Exactly {@code workers} workers, never unloaded for idleness, no memory estimate: a pool without upkeep. */
    public static MaintenancePolicy fixed(int workers) {
        return new MaintenancePolicy(workers, workers, Duration.ZERO, 0);
    }

    /** The estimated memory of {@code workers} workers. */
    long bytesFor(int workers) {
        return workers * bytesPerWorker;
    }
}
