package io.modelpool.worker.jobs;

import io.modelpool.v1.Capability;
import java.util.Objects;

/**
 * What the progress processor learns about a job, keyed by job id on the tracker's internal repartition topic: the
 * job was registered, or one of its requests was answered for the first time.
 */
sealed interface JobEvent {

    String jobId();

    /** A {@code JobRegistration}, reduced to what progress needs. */
    record Registered(String jobId, Capability capability, String model, long expectedCount, String submitter,
            long submittedAtMs) implements JobEvent {
        public Registered {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(capability, "capability");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(submitter, "submitter");
        }
    }

    /**
     * The first result seen for one request of the job.
     *
     * @param errorCode the {@code ErrorCode} name when the result failed; null when it succeeded
     * @param atMs the result record's timestamp
     */
    record Answered(String jobId, String requestId, String errorCode, long atMs) implements JobEvent {
        public Answered {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(requestId, "requestId");
        }

        boolean succeeded() {
            return errorCode == null;
        }
    }
}
