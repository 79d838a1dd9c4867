package io.modelpool.worker.jobs;

import io.modelpool.schemas.Contract;
import io.modelpool.v1.ErrorCode;
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
 *   <li>A cancel, or a first CANCELLED result (whichever the tracker reads first), makes an unfinished job CANCELLING; it turns CANCELLED once every request is answered (the
 *       workers answer the unstarted ones CANCELLED) or when nothing happened to it for the stall time (requests
 *       that were never produced). A cancel of a COMPLETED, CANCELLED or EXPIRED job changes nothing.</li>
 *   <li>A RUNNING or STALLED job whose completion window ({@code expiresAt}) closes becomes EXPIRED, at its deadline
 *       or with the first change after it, whichever the tracker sees first (a job whose last results arrive after
 *       the window is EXPIRED, not COMPLETED); the workers answer its leftovers EXPIRED, and they are counted as they
 *       come. CANCELLED and EXPIRED are final, like
 *       COMPLETED.</li>
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

    private static final String CANCELLED_CODE = ErrorCode.CANCELLED.name();

    private JobProgress() {}

    /** The job after its registration. */
    static JobStatus registered(JobStatus current, JobEvent.Registered registration, long nowMs) {
        JobStatus.Builder next = current == null ? fresh(registration.jobId()) : JobStatus.newBuilder(current);
        next.setCapability(registration.capability());
        next.setModel(registration.model());
        next.setExpectedCount(registration.expectedCount());
        if (registration.hasWindow()) {
            next.setExpiresAt(Instant.ofEpochMilli(registration.expiresAtMs()));
        }
        next.setUpdatedAt(Instant.ofEpochMilli(nowMs));
        JobState previous = current == null ? JobState.UNKNOWN : current.getState();
        next.setState(windowed(
                previous,
                stateAfter(
                        previous,
                        next.getSucceeded() + next.getFailed(),
                        registration.expectedCount(),
                        false,
                        cancelledCount(next)),
                next.getExpiresAt(),
                nowMs));
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
        Instant first =
                next.getFirstResultAt() == null || at.isBefore(next.getFirstResultAt()) ? at : next.getFirstResultAt();
        Instant last =
                next.getLastResultAt() == null || at.isAfter(next.getLastResultAt()) ? at : next.getLastResultAt();
        next.setFirstResultAt(first);
        next.setLastResultAt(last);
        long done = next.getSucceeded() + next.getFailed();
        next.setResultsPerSecond(throughput(done, first, last));
        next.setUpdatedAt(Instant.ofEpochMilli(nowMs));
        JobState previous = current == null ? JobState.UNKNOWN : current.getState();
        next.setState(windowed(
                previous,
                stateAfter(previous, done, next.getExpectedCount(), true, cancelledCount(next)),
                next.getExpiresAt(),
                nowMs));
        return next.build();
    }

    /** The job after {@code modelpool cancel}: CANCELLING (CANCELLED when already answered in full), or unchanged. */
    static JobStatus cancelled(JobStatus current, JobEvent.Cancelled cancel, long nowMs) {
        JobState previous = current == null ? JobState.UNKNOWN : current.getState();
        if ((previous == JobState.CANCELLING || previous == JobState.CANCELLED)
                && current.getCancelRequestedAt() == null) {
            // its CANCELLED results came first and made it so: the cancel fills in when it was asked
            return JobStatus.newBuilder(current)
                    .setCancelRequestedAt(Instant.ofEpochMilli(cancel.requestedAtMs()))
                    .build();
        }
        if (previous == JobState.CANCELLING || isFinal(previous)) {
            return current;
        }
        JobStatus.Builder next = current == null ? fresh(cancel.jobId()) : JobStatus.newBuilder(current);
        next.setCancelRequestedAt(Instant.ofEpochMilli(cancel.requestedAtMs()));
        next.setUpdatedAt(Instant.ofEpochMilli(nowMs));
        long expected = next.getExpectedCount();
        next.setState(
                expected >= 0 && next.getSucceeded() + next.getFailed() >= expected
                        ? JobState.CANCELLED
                        : JobState.CANCELLING);
        return next.build();
    }

    /** Whether the state never changes again: COMPLETED, CANCELLED, EXPIRED. */
    static boolean isFinal(JobState state) {
        return state == JobState.COMPLETED || state == JobState.CANCELLED || state == JobState.EXPIRED;
    }

    /**
     * The job at one of its deadlines ({@link JobDeadlines}): EXPIRED when its completion window has closed while it
     * was RUNNING or STALLED; CANCELLED when it was CANCELLING with nothing new for {@code stallAfter}; otherwise as
     * {@link #stalled}. Empty when nothing is due.
     */
    static Optional<JobStatus> atDeadline(JobStatus current, long nowMs, Duration stallAfter) {
        JobState state = current.getState();
        if ((state == JobState.RUNNING || state == JobState.STALLED || state == JobState.UNKNOWN)
                && current.getExpiresAt() != null
                && nowMs >= current.getExpiresAt().toEpochMilli()) {
            return Optional.of(JobStatus.newBuilder(current)
                    .setState(JobState.EXPIRED)
                    .setUpdatedAt(Instant.ofEpochMilli(nowMs))
                    .build());
        }
        if (state == JobState.CANCELLING) {
            if (nowMs - current.getUpdatedAt().toEpochMilli() < stallAfter.toMillis()) {
                return Optional.empty();
            }
            return Optional.of(JobStatus.newBuilder(current)
                    .setState(JobState.CANCELLED)
                    .setUpdatedAt(Instant.ofEpochMilli(nowMs))
                    .build());
        }
        return stalled(current, nowMs, stallAfter);
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
        return previous == null
                || previous.getState() != next.getState()
                || previous.getExpectedCount() != next.getExpectedCount();
    }

    /**
     * EXPIRED instead of {@code next} when the job's window closed before it ended: a change seen after the window
     * (its last results, say) cannot complete it any more. A job that ended or was cancelled earlier keeps its state.
     */
    private static JobState windowed(JobState previous, JobState next, Instant expiresAt, long nowMs) {
        boolean open = expiresAt == null || nowMs < expiresAt.toEpochMilli();
        if (open
                || isFinal(previous)
                || previous == JobState.CANCELLING
                || next == JobState.CANCELLING
                || next == JobState.CANCELLED) {
            return next;
        }
        return JobState.EXPIRED;
    }

    /** Requests answered CANCELLED: only a cancel of the job produces them. */
    private static long cancelledCount(JobStatus.Builder status) {
        return status.getFailuresByCode().getOrDefault(CANCELLED_CODE, 0L);
    }

    /**
     * The state after a change. A job with CANCELLED results is being cancelled even before the tracker has read the
     * cancel itself (the workers may read it sooner), so that the order of the streams never makes a cancelled job
     * COMPLETED.
     */
    private static JobState stateAfter(JobState previous, long done, long expected, boolean newResult, long cancelled) {
        if (isFinal(previous)) {
            return previous;
        }
        boolean answered = expected >= 0 && done >= expected;
        if (previous == JobState.CANCELLING || cancelled > 0) {
            return answered ? JobState.CANCELLED : JobState.CANCELLING;
        }
        if (answered) {
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
                .setExpiresAt(null)
                .setCancelRequestedAt(null)
                .setUpdatedAt(Instant.EPOCH);
    }
}
