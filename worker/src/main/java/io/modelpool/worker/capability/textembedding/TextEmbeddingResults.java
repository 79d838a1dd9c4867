package io.modelpool.worker.capability.textembedding;

import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingPayload;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.RequestContext;
import java.util.function.LongSupplier;

/** Builds TextEmbeddingResult records; {@code endToEndMs} runs from the record timestamp to now. */
final class TextEmbeddingResults {

    private final LongSupplier clock;

    TextEmbeddingResults(LongSupplier clock) {
        this.clock = clock;
    }

    TextEmbeddingResult ok(TextEmbeddingRequest request, TextEmbeddingPayload payload, long queuedMs,
                           long inferenceMs, RequestContext context, long submittedAtMs) {
        return new TextEmbeddingResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.OK,
                null, payload, new Timings(queuedMs, inferenceMs, endToEnd(context, submittedAtMs)),
                context.workerId());
    }

    TextEmbeddingResult error(TextEmbeddingRequest request, ErrorCode code, String message, boolean retryable,
                              RequestContext context, long submittedAtMs) {
        return new TextEmbeddingResult(request.getId(), request.getJobId(), request.getModel(),
                ResultStatus.ERROR, new ResultError(code, message, retryable), null,
                new Timings(0L, 0L, endToEnd(context, submittedAtMs)), context.workerId());
    }

    private long endToEnd(RequestContext context, long submittedAtMs) {
        long start = context.recordTimestampMs() > 0 ? context.recordTimestampMs() : submittedAtMs;
        return Math.max(0, clock.getAsLong() - start);
    }
}
