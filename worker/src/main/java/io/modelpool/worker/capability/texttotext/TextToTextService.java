package io.modelpool.worker.capability.texttotext;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.PooledService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.pool.ModelPool;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Answers {@link TextToTextRequest}s: validates the request and its generation parameters, tokenises the
 * prompt on the calling thread, and submits one generation per request to the model's pool.
 *
 * <p>Checks, after {@link PooledService}'s (model, deadline): prompt not empty (EMPTY_INPUT) and at most {@code limits.max-input-bytes} UTF-8 bytes (INPUT_TOO_LARGE),
 * parameters (INVALID_REQUEST: maxNewTokens at least 1, temperature at least 0, topK at least 0, topP in
 * (0, 1], repetitionPenalty above 0, at most {@value #MAX_STOP_STRINGS} stop strings of at most
 * {@value #MAX_STOP_LENGTH} characters), maxNewTokens within the model's {@code max-new-tokens} and prompt
 * tokens within {@code max-prompt-tokens} (INPUT_TOO_LARGE). A request without a seed samples with a random
 * one.
 */
public final class TextToTextService
        extends PooledService<TextToTextRequest, TextToTextResult, CausalLmModel, Generation, GenerationOutcome> {

    static final int MAX_STOP_STRINGS = 16;
    static final int MAX_STOP_LENGTH = 256;

    private final CapabilityContext context;

    TextToTextService(
            ModelPool<Generation, GenerationOutcome> pool,
            Map<String, CausalLmModel> models,
            CapabilityContext context,
            LongSupplier clock) {
        super(Capability.TEXT_TO_TEXT, TextToTextRequest.class, pool, models, context, clock);
        this.context = context;
    }

    @Override
    protected RequestFields fields(TextToTextRequest r) {
        return new RequestFields(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getPriority());
    }

    @Override
    protected Prepared<Generation> prepare(
            TextToTextRequest request,
            CausalLmModel model,
            long deadlineEpochMs,
            RequestContext requestContext,
            EarlyAnswer<GenerationOutcome> early) {
        String prompt = request.getPrompt();
        if (prompt == null || prompt.isEmpty()) {
            return refuse(ErrorCode.EMPTY_INPUT, "the prompt is empty");
        }
        int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > context.limits().maxInputBytes()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "the prompt has " + bytes + " UTF-8 bytes; at most "
                            + context.limits().maxInputBytes() + " are allowed");
        }
        GenerationParameters p = request.getParameters();
        String problem = problem(p);
        if (problem != null) {
            return refuse(ErrorCode.INVALID_REQUEST, problem);
        }
        CausalLmParameters limits = model.parameters();
        if (p.getMaxNewTokens() > limits.maxNewTokens()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "parameters.maxNewTokens = " + p.getMaxNewTokens() + " is above model '" + request.getModel()
                            + "''s cap of " + limits.maxNewTokens());
        }
        if (model.tokenizer() == null) {
            return refuse(
                    ErrorCode.MODEL_LOAD_FAILED,
                    "model '" + request.getModel() + "' failed to load its tokenizer: " + model.loadError(),
                    true);
        }
        long[] ids;
        try {
            ids = model.tokenizer().encode(prompt);
        } catch (RuntimeException e) {
            return untokenisable(e, "the prompt");
        }
        if (ids.length == 0) {
            return refuse(ErrorCode.EMPTY_INPUT, "the prompt has no tokens");
        }
        if (ids.length > limits.maxPromptTokens()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "the prompt has " + ids.length + " tokens; model '" + request.getModel() + "' allows at most "
                            + limits.maxPromptTokens());
        }
        long seed =
                p.getSeed() != null ? p.getSeed() : ThreadLocalRandom.current().nextLong();
        SamplingSettings sampling =
                new SamplingSettings(p.getTemperature(), p.getTopK(), p.getTopP(), p.getRepetitionPenalty(), seed);
        return submit(new Generation(
                ids,
                p.getMaxNewTokens(),
                sampling,
                List.copyOf(p.getStopStrings()),
                deadlineEpochMs,
                (text, startedNanos) -> early.answer(0, text, startedNanos)));
    }

    private static String problem(GenerationParameters p) {
        if (p == null) {
            return "parameters are missing";
        }
        if (p.getMaxNewTokens() < 1) {
            return "parameters.maxNewTokens = " + p.getMaxNewTokens() + " is invalid; allowed: at least 1";
        }
        if (!(p.getTemperature() >= 0f) || Float.isInfinite(p.getTemperature())) {
            return "parameters.temperature = " + p.getTemperature() + " is invalid; allowed: 0 (greedy) or above";
        }
        if (p.getTopK() < 0) {
            return "parameters.topK = " + p.getTopK() + " is invalid; allowed: 0 (off) or above";
        }
        if (!(p.getTopP() > 0f && p.getTopP() <= 1f)) {
            return "parameters.topP = " + p.getTopP() + " is invalid; allowed: above 0 and at most 1";
        }
        if (!(p.getRepetitionPenalty() > 0f) || Float.isInfinite(p.getRepetitionPenalty())) {
            return "parameters.repetitionPenalty = " + p.getRepetitionPenalty()
                    + " is invalid; allowed: above 0 (1 is off)";
        }
        List<String> stops = p.getStopStrings();
        if (stops.size() > MAX_STOP_STRINGS) {
            return "parameters.stopStrings has " + stops.size() + " entries; at most " + MAX_STOP_STRINGS
                    + " are allowed";
        }
        for (int i = 0; i < stops.size(); i++) {
            int length = stops.get(i).length();
            if (length == 0 || length > MAX_STOP_LENGTH) {
                return "parameters.stopStrings[" + i + "] has " + length + " characters; allowed: 1 to "
                        + MAX_STOP_LENGTH;
            }
        }
        return null;
    }

    @Override
    protected Verdict verdict(int index, GenerationOutcome outcome) {
        if (outcome instanceof GenerationOutcome.Expired expired) {
            return expired(expired.deadlineEpochMs(), "before generation started");
        }
        GenerationOutcome.Text text = (GenerationOutcome.Text) outcome;
        if (text.finishReason() == FinishReason.SHUTDOWN) {
            return new Verdict.CutByShutdown("generation", text.generatedTokens() + " tokens");
        }
        return Verdict.DONE;
    }

    @Override
    protected String failureMessage(int index, Throwable cause) {
        return "generation failed: " + cause;
    }

    @Override
    protected TextToTextResult ok(
            TextToTextRequest request,
            List<Generation> tasks,
            List<GenerationOutcome> outcomes,
            Timings timings,
            RequestContext context) {
        GenerationOutcome.Text text = (GenerationOutcome.Text) outcomes.get(0);
        TextToTextPayload payload = new TextToTextPayload(
                text.text(), text.promptTokens(), text.generatedTokens(), text.finishReason(), text.truncated());
        return new TextToTextResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.OK,
                null,
                payload,
                timings,
                context.workerId());
    }

    @Override
    protected TextToTextResult error(
            TextToTextRequest request, ResultError error, Timings timings, RequestContext context) {
        return new TextToTextResult(
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
    protected void stamp(TextToTextResult result, String workerId, long endToEndMs) {
        result.setWorkerId(workerId);
        result.getTimings().setEndToEndMs(endToEndMs);
    }
}
