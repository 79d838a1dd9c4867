package io.modelpool.worker.capability;

import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;

/**
 * What a capability answers for one request: the result record to publish, and its {@link Envelope}, the part of
 * the result the rest of the worker reads (the intake keys the record by its request id, the observers count it by
 * model and status), so that no code outside the capability reads fields of a generated result class.
 *
 * <p>The record leaves the capability with its timings' {@code endToEndMs} at 0: the intake {@link #stamp stamps}
 * the worker id and the end-to-end time once, when it hands the record to the producer, through the capability's
 * own typed setters.
 *
 * <p>Not thread-safe: built on a pool or intake thread, then read and stamped on the intake thread only.
 */
public final class Outcome {

    /**
     * The fields every result carries, as the capability set them.
     *
     * @param jobId     null when the request belongs to no job
     * @param errorCode null when {@code status} is OK
     * @param queuedMs  from submission to the pool until the first task of the request started; 0 without inference
     * @param inferenceMs from the first task's start until the last one's end; 0 without inference
     */
    public record Envelope(
            String requestId,
            String jobId,
            String model,
            ResultStatus status,
            ErrorCode errorCode,
            long queuedMs,
            long inferenceMs) {

        public Envelope {
            Objects.requireNonNull(requestId, "requestId");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(status, "status");
            if ((status == ResultStatus.ERROR) != (errorCode != null)) {
                throw new IllegalArgumentException("status " + status + " with error code " + errorCode);
            }
        }

        public boolean ok() {
            return status == ResultStatus.OK;
        }
    }

    /** Writes the worker id and the end-to-end time into a result of one capability, with its generated setters. */
    @FunctionalInterface
    public interface Stamp<R extends SpecificRecord> {
        void stamp(R result, String workerId, long endToEndMs);
    }

    private final SpecificRecord record;
    private final Envelope envelope;
    private final StampAction stamp;

    private Outcome(SpecificRecord record, Envelope envelope, StampAction stamp) {
        this.record = record;
        this.envelope = envelope;
        this.stamp = stamp;
    }

    /** The outcome of a result record {@code result} described by {@code envelope}. */
    public static <R extends SpecificRecord> Outcome of(R result, Envelope envelope, Stamp<? super R> stamp) {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(stamp, "stamp");
        return new Outcome(result, envelope, (workerId, endToEndMs) -> stamp.stamp(result, workerId, endToEndMs));
    }

    /** The result record to publish. */
    public SpecificRecord record() {
        return record;
    }

    public Envelope envelope() {
        return envelope;
    }

    /**
     * Sets the result's worker id and {@code timings.endToEndMs} and returns the record; called by the intake when
     * it hands the record to the producer (again, with a later time, when it publishes the same outcome again).
     */
    public SpecificRecord stamp(String workerId, long endToEndMs) {
        stamp.apply(Objects.requireNonNull(workerId, "workerId"), Math.max(0L, endToEndMs));
        return record;
    }

    @Override
    public String toString() {
        return envelope.toString();
    }

    @FunctionalInterface
    private interface StampAction {
        void apply(String workerId, long endToEndMs);
    }
}
