/**
 * The job tracker: a Kafka Streams topology, run inside the worker, that joins job registrations
 * ({@code <prefix>.jobs}) with the results of every capability and keeps each job's progress (succeeded, failed by
 * error code, first and last result time, throughput, RUNNING/COMPLETED/STALLED/CANCELLING/CANCELLED/EXPIRED, with
 * cancels from {@code <prefix>.jobs.control}) in a queryable state store and on
 * the compacted {@code <prefix>.jobs.status} topic. {@link io.modelpool.worker.jobs.JobTracker} is its lifecycle
 * and read API, {@link io.modelpool.worker.jobs.JobTopology} the topology, {@link io.modelpool.worker.jobs.JobProgress}
 * the per-job arithmetic, testable without Kafka.
 *
 * <p>Reads results as records only; it must not import the pool, the capabilities, the runtime or the intake
 * ({@code io.modelpool.worker.kafka}): the tracker works the same whichever worker produced a result.
 */
package io.modelpool.worker.jobs;
