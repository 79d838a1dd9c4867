package io.modelpool.worker.jobs;

import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.common.utils.Bytes;

/**
 * The time each job next needs the tracker's attention, as keys of a secondary index over the job-status store, so
 * that the periodic check reads only the jobs that are due instead of walking every job.
 *
 * <p>A job has exactly one deadline, a function of its status alone:
 * <ul>
 *   <li>RUNNING (or not yet registered): {@code updatedAt + stallAfter}, when it turns STALLED, or the end of its
 *       completion window when that comes first, when it turns EXPIRED;</li>
 *   <li>CANCELLING: {@code updatedAt + stallAfter}, when it turns CANCELLED (nothing more is coming);</li>
 *   <li>STALLED: {@code updatedAt + retention}, when it leaves the store, or the end of its completion window when
 *       that comes first;</li>
 *   <li>COMPLETED, CANCELLED or EXPIRED: {@code updatedAt + retention}, when it leaves the store.</li>
 * </ul>
 * Since the deadline follows from the status, the processor replaces the old key (from the status before a change)
 * with the new one on every change, and the index holds one key per job.
 *
 * <p>Key layout: the deadline in epoch milliseconds as 8 big-endian bytes, then the job id in UTF-8. Byte order is
 * time order for non-negative times (the state stores compare keys as unsigned bytes), so the due jobs are one range
 * scan from the start of the index up to {@link #dueBefore(long)}. The same idea as a timer wheel's buckets or
 * Kafka Streams' own window stores, whose keys lead with a timestamp for the same reason.
 */
final class JobDeadlines {

    static final String STORE = "job-deadlines";

    private final Duration stallAfter;
    private final Duration retention;

    JobDeadlines(Duration stallAfter, Duration retention) {
        this.stallAfter = stallAfter;
        this.retention = retention;
    }

    /** Whether the job's next deadline leaves it out of the store (true) rather than marks it STALLED. */
    static boolean expires(JobStatus status) {
        return JobProgress.isFinal(status.getState()) || status.getState() == JobState.STALLED;
    }

    /** Whether the job's next deadline is the end of its completion window. */
    boolean windowFirst(JobStatus status) {
        JobState state = status.getState();
        return status.getExpiresAt() != null
                && !JobProgress.isFinal(state)
                && state != JobState.CANCELLING
                && status.getExpiresAt().toEpochMilli() < waitEnd(status);
    }

    /** The job's deadline in epoch milliseconds. */
    long deadlineMs(JobStatus status) {
        return windowFirst(status) ? status.getExpiresAt().toEpochMilli() : waitEnd(status);
    }

    private long waitEnd(JobStatus status) {
        long updated = status.getUpdatedAt().toEpochMilli();
        long wait = (expires(status) ? retention : stallAfter).toMillis();
        return updated > Long.MAX_VALUE - wait ? Long.MAX_VALUE : updated + wait;
    }

    /** The job's key in the index. */
    Bytes keyOf(JobStatus status) {
        return key(deadlineMs(status), status.getJobId());
    }

    /** The first key after every job due at {@code nowMs} or earlier: the range scan's inclusive upper bound. */
    static Bytes dueBefore(long nowMs) {
        return key(nowMs == Long.MAX_VALUE ? nowMs : nowMs + 1, "");
    }

    /** The first key of the index. */
    static Bytes first() {
        return key(0, "");
    }

    static String jobId(Bytes key) {
        byte[] b = key.get();
        return new String(b, Long.BYTES, b.length - Long.BYTES, StandardCharsets.UTF_8);
    }

    static long deadlineOf(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong();
    }

    private static Bytes key(long deadlineMs, String jobId) {
        byte[] id = jobId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + id.length)
                .putLong(Math.max(0, deadlineMs))
                .put(id)
                .array());
    }
}
