package io.modelpool.worker.capability.textembedding;

import io.modelpool.v1.Capability;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingPayload;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.FloatVector;
import io.modelpool.worker.capability.PooledService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.manifest.RequestLimits;
import io.modelpool.worker.pool.ModelPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Answers {@link TextEmbeddingRequest}s: validates the request, tokenises each text once on the calling
 * thread (so the pool can sort and budget batches by token count and the workers only run the model),
 * submits all texts of a request as pool tasks in one all-or-nothing step, and builds one result when
 * the last text is done, or an error at the first text that fails or expires.
 *
 * <p>Checks, after {@link PooledService}'s (model, deadline) and before anything is tokenised: at least one text
 * (EMPTY_INPUT), at most {@code limits.max-inputs-per-request} texts (INPUT_TOO_LARGE), and per text: not empty
 * (EMPTY_INPUT), at most {@code limits.max-input-bytes} UTF-8 bytes (INPUT_TOO_LARGE), no unpaired UTF-16
 * surrogate (INVALID_REQUEST). A text longer than the model's maximum sequence length is truncated and flagged
 * in its embedding, never refused.
 */
public final class TextEmbeddingService
        extends PooledService<TextEmbeddingRequest, TextEmbeddingResult, TextModel, EncodedText, EmbeddingOutcome> {

    private final RequestLimits limits;

    TextEmbeddingService(
            ModelPool<EncodedText, EmbeddingOutcome> pool,
            Map<String, TextModel> models,
            CapabilityContext context,
            LongSupplier clock) {
        super(Capability.TEXT_EMBEDDING, TextEmbeddingRequest.class, pool, models, context, clock);
        this.limits = context.limits();
    }

    @Override
    protected RequestFields fields(TextEmbeddingRequest r) {
        return new RequestFields(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getPriority());
    }

    @Override
    protected Prepared<EncodedText> prepare(
            TextEmbeddingRequest request,
            TextModel model,
            long deadlineEpochMs,
            RequestContext context,
            EarlyAnswer<EmbeddingOutcome> early) {
        List<String> texts = request.getTexts();
        if (texts == null || texts.isEmpty()) {
            return refuse(ErrorCode.EMPTY_INPUT, "the request has no texts; at least one is required");
        }
        if (texts.size() > limits.maxInputsPerRequest()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "the request has " + texts.size() + " texts; at most " + limits.maxInputsPerRequest()
                            + " are allowed");
        }
        for (int i = 0; i < texts.size(); i++) {
            String problem = TextChecks.problem(texts.get(i), limits.maxInputBytes());
            if (problem != null) {
                ErrorCode code = texts.get(i) == null || texts.get(i).isEmpty()
                        ? ErrorCode.EMPTY_INPUT
                        : problem.startsWith(TextChecks.TOO_LARGE)
                                ? ErrorCode.INPUT_TOO_LARGE
                                : ErrorCode.INVALID_REQUEST;
                return refuse(code, "texts[" + i + "] " + problem);
            }
        }
        if (model.tokenizer() == null) {
            return refuse(
                    ErrorCode.MODEL_LOAD_FAILED,
                    "model '" + model.definition().key() + "' failed to load its tokenizer: " + model.loadError(),
                    true);
        }
        String prefix = request.getInputType() == EmbeddingInputType.QUERY
                ? model.parameters().queryPrefix()
                : model.parameters().passagePrefix();
        List<EncodedText> encoded = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = prefix.isEmpty() ? texts.get(i) : prefix + texts.get(i);
            try {
                encoded.add(model.tokenizer().encode(text, deadlineEpochMs));
            } catch (RuntimeException e) {
                return untokenisable(e, "texts[" + i + "]");
            }
        }
        return submit(encoded);
    }

    @Override
    protected Verdict verdict(int index, EmbeddingOutcome outcome) {
        if (outcome instanceof EmbeddingOutcome.Expired expired) {
            return expired(expired.deadlineEpochMs(), "before inference started");
        }
        return Verdict.DONE;
    }

    @Override
    protected String failureMessage(int index, Throwable cause) {
        return "inference failed for texts[" + index + "]: " + cause;
    }

    @Override
    protected TextEmbeddingResult ok(
            TextEmbeddingRequest request,
            List<EncodedText> tasks,
            List<EmbeddingOutcome> outcomes,
            Timings timings,
            RequestContext context) {
        List<Embedding> embeddings = new ArrayList<>(outcomes.size());
        int dimensions = 0;
        for (int i = 0; i < outcomes.size(); i++) {
            float[] vector = ((EmbeddingOutcome.Vector) outcomes.get(i)).values();
            dimensions = vector.length;
            embeddings.add(new Embedding(
                    new FloatVector(vector), tasks.get(i).tokens(), tasks.get(i).truncated()));
        }
        return new TextEmbeddingResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.OK,
                null,
                new TextEmbeddingPayload(dimensions, embeddings),
                timings,
                context.workerId());
    }

    @Override
    protected TextEmbeddingResult error(
            TextEmbeddingRequest request, ResultError error, Timings timings, RequestContext context) {
        return new TextEmbeddingResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.ERROR,
                error,
                null,
                timings,
                context.workerId());
    }

    @Override
    protected void stamp(TextEmbeddingResult result, String workerId, long endToEndMs) {
        result.setWorkerId(workerId);
        result.getTimings().setEndToEndMs(endToEndMs);
    }
}
