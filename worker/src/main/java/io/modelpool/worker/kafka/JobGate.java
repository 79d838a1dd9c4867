package io.modelpool.worker.kafka;

import io.modelpool.worker.pool.Withdrawal;

/**
 * Tells the intake whether requests of a batch job are still wanted: a job may be cancelled, or its completion window
 * may close, while its requests wait in a partition or in a pool queue. {@link JobControls} is the fleet's view.
 *
 * <p>Threads: called on the intake thread; the returned {@link Withdrawal} is asked again on pool worker threads, just
 * before a task's batch runs, so it must answer from the current state, not from the state at dispatch.
 */
@FunctionalInterface
public interface JobGate {

    /** Every job's requests are wanted: for workers and tests without job control. */
    JobGate OPEN = jobId -> null;

    /** A live check of whether requests of {@code jobId} are still wanted; null when there is nothing to check. */
    Withdrawal withdrawal(String jobId);
}
