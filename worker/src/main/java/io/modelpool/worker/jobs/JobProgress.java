package io.modelpool.worker.jobs;

import io.modelpool.schemas.Contract;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One job's progress arithmetic, free of Kafka so that it can be tested alone. Every method takes the job's current
 * {@link JobStatus} (null when the tracker has seen nothing of the job yet) and returns the next one; none mutates
 * its argument.
 *
 * <p>Rules:
 * <ul>
 *   <li>Registration and results may arrive in any order: a registration fills capability, model and expected
 *       count and keeps the counts already made; results before it count all the same.</li>
 *   <li>The caller passes each request's first result only (duplicates are removed upstream), so
 *       {@code succeeded + failed} counts distinct request ids.</li>
 *   <li>COMPLETED once {@code succeeded + failed >= expectedCount} with a known expected count; it stays COMPLETED.
 *       Otherwise RUNNING, or STALLED when nothing happened to the job for the stall time; a new result makes a
 *       STALLED job RUNNING again, a repeated registration does not.</li>
 *   <li>First and last result time are the minimum and maximum of the results' record times, so late records do
 *       not move them backwards; throughput is results per second between them (0 until they differ).</li>
 * </ul>
 * {@code updatedAt} is the wall-clock time of the last change and doubles as the job's last activity for stall
 * detection.
 */
final class JobProgress {

    static {
        // copy builders of contract records need Avro 1.12's class trust, which the serdes otherwise set up
        Contract.trustGeneratedClasses();
    }

    private JobProgress() {
    }

    /** The job after its registration. */
    static JobStatus registered(JobStatus current, JobEvent.Registered registration, long nowMs) {
        JobStatus.Builder next = current == null ? fresh(registration.jobId()) : JobStatus.newBuilder(current);
        next.setCapability(registration.capability());
        next.setModel(registration.model());
        next.setExpectedCount(registration.expectedCount());
        next.setUpdatedAt(Instant.ofEpochMilli(nowMs));
        JobState previous = current == null ? JobState.UNKNOWN : current.getState();
        next.setState(stateAfter(previous, next.getSucceeded() + next.getFailed(), registration.expectedCount(),
                false));
        return next.build();
    }

    /** The job after one request's first result. */
    static JobStatus answered(JobStatus current, JobEvent.Answered answer, long nowMs) {
        JobStatus.Builder next = current == null ? fresh(answer.jobId()) : JobStatus.newBuilder(current);
        if (answer.succeeded()) {
            next.setSucceeded(next.getSucceeded() + 1);
        } else {
            next.setFailed(next.getFailed() + 1);
            Map<String, Long> byCode = new HashMap<>(next.getFailuresByCode());
            byCode.merge(answer.errorCode(), 1L, Long::sum);
            next.setFailuresByCode(byCode);
        }
        Instant at = Instant.ofEpochMilli(answer.atMs());
        Instant first = next.getFirstResultAt() == null || at.isBefore(next.getFirstResultAt())
                ? at : next.getFirstResultAt();
        Instant last = next.getLastResultAt() == null || at.isAfter(next.getLastResultAt())
                ? at : next.getLastResultAt();
        next.setFirstResultAt(first);
        next.setLastResultAt(last);
        long done = next.getSucceeded() + next.getFailed();
        next.setResultsPerSecond(throughput(done, first, last));
        next.setUpdatedAt(Instant.ofEpochMilli(nowMs));
        JobState previous = current == null ? JobState.UNKNOWN : current.getState();
        next.setState(stateAfter(previous, done, next.getExpectedCount(), true));
        return next.build();
    }

    /** The job marked STALLED when it is RUNNING and nothing happened to it for {@code stallAfter}; else empty. */
    static Optional<JobStatus> stalled(JobStatus current, long nowMs, Duration stallAfter) {
        if (current.getState() != JobState.RUNNING
                || nowMs - current.getUpdatedAt().toEpochMilli() < stallAfter.toMillis()) {
            return Optional.empty();
        }
        return Optional.of(JobStatus.newBuilder(current)
                .setState(JobState.STALLED)
                .setUpdatedAt(Instant.ofEpochMilli(nowMs))
                .build());
    }

    /** True when {@code next} is worth publishing at once rather than with the next periodic flush. */
    static boolean stateChanged(JobStatus previous, JobStatus next) {
        return previous == null || previous.getState() != next.getState()
                || previous.getExpectedCount() != next.getExpectedCount();
    }

    private static JobState stateAfter(JobState previous, long done, long expected, boolean newResult) {
        if (previous == JobState.COMPLETED || (expected >= 0 && done >= expected)) {
            return JobState.COMPLETED;
        }
        if (previous == JobState.STALLED && !newResult) {
            return JobState.STALLED;
        }
        return JobState.RUNNING;
    }

    static double throughput(long done, Instant first, Instant last) {
        long spanMs = last.toEpochMilli() - first.toEpochMilli();
        return spanMs <= 0 ? 0.0 : done * 1000.0 / spanMs;
    }

    private static JobStatus.Builder fresh(String jobId) {
        return JobStatus.newBuilder()
                .setJobId(jobId)
                .setCapability(null)
                .setModel(null)
                .setExpectedCount(-1)
                .setSucceeded(0)
                .setFailed(0)
                .setFailuresByCode(new HashMap<>())
                .setFirstResultAt(null)
                .setLastResultAt(null)
                .setResultsPerSecond(0.0)
                .setState(JobState.UNKNOWN)
                .setUpdatedAt(Instant.EPOCH);
    }
}
