package io.modelpool.worker.jobs;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.Timings;
import java.time.Instant;

/** Contract records as a worker and the CLI write them, for the tracker's tests. */
final class JobRecords {

    static final String MODEL = "all-minilm-l6-v2-q";

    private JobRecords() {}

    static JobRegistration registration(String jobId, long expected) {
        return JobRegistration.newBuilder()
                .setJobId(jobId)
                .setCapability(Capability.TEXT_EMBEDDING)
                .setModel(MODEL)
                .setExpectedCount(expected)
                .setSubmitter("test@host")
                .setSubmittedAt(Instant.ofEpochMilli(1_000))
                .build();
    }

    static TextEmbeddingResult ok(String jobId, String requestId) {
        return TextEmbeddingResult.newBuilder()
                .setRequestId(requestId)
                .setJobId(jobId)
                .setModel(MODEL)
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(null)
                .setTimings(timings())
                .setWorkerId("w1")
                .build();
    }

    static TextEmbeddingResult failed(String jobId, String requestId, ErrorCode code) {
        return TextEmbeddingResult.newBuilder()
                .setRequestId(requestId)
                .setJobId(jobId)
                .setModel(MODEL)
                .setStatus(ResultStatus.ERROR)
                .setError(ResultError.newBuilder()
                        .setCode(code)
                        .setMessage("poisoned input")
                        .setRetryable(false)
                        .build())
                .setPayload(null)
                .setTimings(timings())
                .setWorkerId("w1")
                .build();
    }

    static TextToTextResult textToTextOk(String jobId, String requestId) {
        return TextToTextResult.newBuilder()
                .setRequestId(requestId)
                .setJobId(jobId)
                .setModel("t5")
                .setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(null)
                .setTimings(timings())
                .setWorkerId("w1")
                .build();
    }

    private static Timings timings() {
        return Timings.newBuilder()
                .setQueuedMs(1)
                .setInferenceMs(2)
                .setEndToEndMs(3)
                .build();
    }
}
