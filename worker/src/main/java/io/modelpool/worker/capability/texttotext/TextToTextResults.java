package io.modelpool.worker.capability.texttotext;

import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.RequestContext;
import java.util.function.LongSupplier;

/** Builds TextToTextResult records; {@code endToEndMs} runs from the record timestamp to now. */
final class TextToTextResults {

    private final LongSupplier clock;

    TextToTextResults(LongSupplier clock) {
        this.clock = clock;
    }

    TextToTextResult ok(TextToTextRequest request, GenerationOutcome.Text text, long queuedMs, long inferenceMs,
                        RequestContext context, long submittedAtMs) {
        TextToTextPayload payload = new TextToTextPayload(text.text(), text.promptTokens(), text.generatedTokens(),
                text.finishReason(), text.truncated());
        return new TextToTextResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.OK, null,
                payload, new Timings(queuedMs, inferenceMs, endToEnd(context, submittedAtMs)), context.workerId());
    }

    TextToTextResult error(TextToTextRequest request, ErrorCode code, String message, boolean retryable,
                           RequestContext context, long submittedAtMs) {
        return new TextToTextResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.ERROR,
                new ResultError(code, message, retryable), null,
                new Timings(0L, 0L, endToEnd(context, submittedAtMs)), context.workerId());
    }

    private long endToEnd(RequestContext context, long submittedAtMs) {
        long start = context.recordTimestampMs() > 0 ? context.recordTimestampMs() : submittedAtMs;
        return Math.max(0, clock.getAsLong() - start);
    }
}
