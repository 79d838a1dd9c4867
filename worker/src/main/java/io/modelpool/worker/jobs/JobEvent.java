package io.modelpool.worker.jobs;

import io.modelpool.v1.Capability;
import java.util.Objects;

/**
 * What the progress processor learns about a job, keyed by job id on the tracker's internal repartition topic: the
 * job was registered, one of its requests was answered for the first time, or it was cancelled.
 */
sealed interface JobEvent {

    String jobId();

    /**
     * A {@code JobRegistration}, reduced to what progress needs.
     *
     * @param expiresAtMs the end of the job's completion window (epoch ms), or {@link #NO_WINDOW}
     */
    record Registered(
            String jobId,
            Capability capability,
            String model,
            long expectedCount,
            String submitter,
            long submittedAtMs,
            long expiresAtMs)
            implements JobEvent {
        static final long NO_WINDOW = -1;

        public Registered {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(capability, "capability");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(submitter, "submitter");
        }

        /** A registration without a completion window. */
        Registered(
                String jobId,
                Capability capability,
                String model,
                long expectedCount,
                String submitter,
                long submittedAtMs) {
            this(jobId, capability, model, expectedCount, submitter, submittedAtMs, NO_WINDOW);
        }

        boolean hasWindow() {
            return expiresAtMs != NO_WINDOW;
        }
    }

    /** A {@code JobControl} with action CANCEL: {@code modelpool cancel} asked at {@code requestedAtMs}. */
    record Cancelled(String jobId, String requestedBy, long requestedAtMs) implements JobEvent {
        public Cancelled {
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(requestedBy, "requestedBy");
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
