package io.modelpool.worker.capability.texttotext;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.worker.capability.AbandonedAtShutdownException;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.PoolErrors;
import io.modelpool.worker.capability.RequestPriorities;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import io.modelpool.worker.pool.TaskListener;
import io.modelpool.worker.pool.TaskTiming;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Answers {@link TextToTextRequest}s: validates the request and its generation parameters, tokenises the
 * prompt on the calling thread, and submits one generation per request to the model's pool.
 *
 * <p>Checks, in order: known model of this capability (UNKNOWN_MODEL, WRONG_CAPABILITY), deadline (EXPIRED),
 * prompt not empty (EMPTY_INPUT) and at most {@code limits.max-input-bytes} UTF-8 bytes (INPUT_TOO_LARGE),
 * parameters (INVALID_REQUEST: maxNewTokens at least 1, temperature at least 0, topK at least 0, topP in
 * (0, 1], repetitionPenalty above 0, at most {@value #MAX_STOP_STRINGS} stop strings of at most
 * {@value #MAX_STOP_LENGTH} characters), maxNewTokens within the model's {@code max-new-tokens} and prompt
 * tokens within {@code max-prompt-tokens} (INPUT_TOO_LARGE). A request without a seed samples with a random
 * one.
 */
public final class TextToTextService implements CapabilityService {

    static final int MAX_STOP_STRINGS = 16;
    static final int MAX_STOP_LENGTH = 256;

    private final ModelPool<Generation, GenerationOutcome> pool;
    private final Map<String, CausalLmModel> models;
    private final CapabilityContext context;
    private final LongSupplier clock;
    private final TextToTextResults results;

    TextToTextService(ModelPool<Generation, GenerationOutcome> pool, Map<String, CausalLmModel> models,
                      CapabilityContext context, LongSupplier clock) {
        this.pool = pool;
        this.models = Map.copyOf(models);
        this.context = context;
        this.clock = clock;
        this.results = new TextToTextResults(clock);
    }

    @Override
    public Capability capability() {
        return Capability.TEXT_TO_TEXT;
    }

    @Override
    public Class<? extends SpecificRecord> requestClass() {
        return TextToTextRequest.class;
    }

    @Override
    public CompletableFuture<SpecificRecord> handle(SpecificRecord record, RequestContext requestContext)
            throws PoolRejectedException {
        TextToTextRequest request = cast(record);
        if (pool.isShuttingDown()) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
        }
        long now = clock.getAsLong();
        CausalLmModel model = models.get(request.getModel());
        if (model == null) {
            Optional<Capability> other = context.capabilityOf(request.getModel());
            return other.isPresent()
                    ? error(request, ErrorCode.WRONG_CAPABILITY, "model '" + request.getModel() + "' serves "
                    + other.get() + ", not TEXT_TO_TEXT", requestContext, now)
                    : error(request, ErrorCode.UNKNOWN_MODEL, "unknown model '" + request.getModel()
                    + "'; this worker serves text-to-text models " + new TreeSet<>(models.keySet()),
                    requestContext, now);
        }
        long deadline = request.getDeadline() == null ? Long.MAX_VALUE : request.getDeadline().toEpochMilli();
        if (deadline < now) {
            return error(request, ErrorCode.EXPIRED, "the request's deadline (" + deadline
                    + " ms since epoch) had passed on arrival", requestContext, now);
        }
        String prompt = request.getPrompt();
        if (prompt == null || prompt.isEmpty()) {
            return error(request, ErrorCode.EMPTY_INPUT, "the prompt is empty", requestContext, now);
        }
        int bytes = prompt.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > context.limits().maxInputBytes()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "the prompt has " + bytes + " UTF-8 bytes; at most "
                    + context.limits().maxInputBytes() + " are allowed", requestContext, now);
        }
        GenerationParameters p = request.getParameters();
        String problem = problem(p);
        if (problem != null) {
            return error(request, ErrorCode.INVALID_REQUEST, problem, requestContext, now);
        }
        CausalLmParameters limits = model.parameters();
        if (p.getMaxNewTokens() > limits.maxNewTokens()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "parameters.maxNewTokens = " + p.getMaxNewTokens()
                    + " is above model '" + request.getModel() + "''s cap of " + limits.maxNewTokens(),
                    requestContext, now);
        }
        if (model.tokenizer() == null) {
            return error(request, ErrorCode.MODEL_LOAD_FAILED, "model '" + request.getModel()
                    + "' failed to load its tokenizer: " + model.loadError(), true, requestContext, now);
        }
        long[] ids;
        try {
            ids = model.tokenizer().encode(prompt);
        } catch (IllegalStateException e) {
            if (model.tokenizer().isClosed()) {
                throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
            }
            return error(request, ErrorCode.INVALID_REQUEST, "the prompt could not be tokenised: " + e.getMessage(),
                    requestContext, now);
        } catch (RuntimeException e) {
            return error(request, ErrorCode.INVALID_REQUEST, "the prompt could not be tokenised: " + e.getMessage(),
                    requestContext, now);
        }
        if (ids.length == 0) {
            return error(request, ErrorCode.EMPTY_INPUT, "the prompt has no tokens", requestContext, now);
        }
        if (ids.length > limits.maxPromptTokens()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "the prompt has " + ids.length + " tokens; model '"
                    + request.getModel() + "' allows at most " + limits.maxPromptTokens(), requestContext, now);
        }
        long seed = p.getSeed() != null ? p.getSeed() : ThreadLocalRandom.current().nextLong();
        SamplingSettings sampling = new SamplingSettings(p.getTemperature(), p.getTopK(), p.getTopP(),
                p.getRepetitionPenalty(), seed);
        List<String> stops = List.copyOf(p.getStopStrings());
        Answer answer = new Answer(request, requestContext, now);
        Generation generation = new Generation(ids, p.getMaxNewTokens(), sampling, stops, deadline, answer::early);
        try {
            pool.submit(request.getModel(), generation, RequestPriorities.poolClass(request), answer);
        } catch (PoolRejectedException e) {
            PoolError pe = e.error();
            if (pe instanceof PoolError.ShuttingDown || pe instanceof PoolError.Overloaded) {
                throw e;
            }
            return error(request, PoolErrors.code(pe), e.getMessage(), PoolErrors.retryable(pe), requestContext, now);
        }
        return answer.future;
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
    public SpecificRecord errorResult(SpecificRecord request, ErrorCode code, String message, boolean retryable,
                                      RequestContext requestContext) {
        return results.error(cast(request), code, message, retryable, requestContext, clock.getAsLong());
    }

    private CompletableFuture<SpecificRecord> error(TextToTextRequest request, ErrorCode code, String message,
                                                    RequestContext requestContext, long now) {
        return error(request, code, message, false, requestContext, now);
    }

    private CompletableFuture<SpecificRecord> error(TextToTextRequest request, ErrorCode code, String message,
                                                    boolean retryable, RequestContext requestContext, long now) {
        return CompletableFuture.completedFuture(results.error(request, code, message, retryable, requestContext, now));
    }

    private static TextToTextRequest cast(SpecificRecord record) {
        if (record instanceof TextToTextRequest r) {
            return r;
        }
        throw new IllegalArgumentException("text-to-text expects TextToTextRequest, got "
                + (record == null ? "null" : record.getClass().getName()));
    }

    /**
     * Turns the one task of a request into its result; called once by the pool, on a pool thread, and before
     * that possibly by {@link #early} when a batched generation ends before its batch: the first answer wins.
     */
    private final class Answer implements TaskListener<GenerationOutcome> {

        private final TextToTextRequest request;
        private final RequestContext requestContext;
        private final long submittedAtMs;
        private final long submittedNanos = System.nanoTime();
        private final CompletableFuture<SpecificRecord> future = new CompletableFuture<>();

        Answer(TextToTextRequest request, RequestContext requestContext, long submittedAtMs) {
            this.request = request;
            this.requestContext = requestContext;
            this.submittedAtMs = submittedAtMs;
        }

        /** Names the request in the pool's logs. */
        @Override
        public String toString() {
            return "request '" + request.getId() + "' (job '" + request.getJobId() + "')";
        }

        /** The generation ended while the rest of its batch decodes on: answer now. */
        void early(GenerationOutcome.Text text, long startedNanos) {
            if (abandoned(text)) {
                return;
            }
            long now = System.nanoTime();
            future.complete(results.ok(request, text, TimeUnit.NANOSECONDS.toMillis(startedNanos - submittedNanos),
                    TimeUnit.NANOSECONDS.toMillis(now - startedNanos), requestContext, submittedAtMs));
        }

        @Override
        public void completed(int index, GenerationOutcome output, TaskTiming timing) {
            if (future.isDone()) {
                return;
            }
            if (output instanceof GenerationOutcome.Text text) {
                if (abandoned(text)) {
                    return;
                }
                future.complete(results.ok(request, text,
                        TimeUnit.NANOSECONDS.toMillis(timing.startedNanos() - timing.submittedNanos()),
                        TimeUnit.NANOSECONDS.toMillis(timing.finishedNanos() - timing.startedNanos()),
                        requestContext, submittedAtMs));
            } else if (output instanceof GenerationOutcome.Expired expired) {
                future.complete(results.error(request, ErrorCode.EXPIRED, "the request's deadline ("
                        + expired.deadlineEpochMs() + " ms since epoch) passed before generation started", false,
                        requestContext, submittedAtMs));
            }
        }

        /**
         * A generation cut at the shutdown grace is abandoned, not answered: a truncated text would answer the
         * request for good with less than it asked for, while the partition's next owner can run it whole.
         */
        private boolean abandoned(GenerationOutcome.Text text) {
            if (text.finishReason() != FinishReason.SHUTDOWN) {
                return false;
            }
            future.completeExceptionally(new AbandonedAtShutdownException("the generation of " + this + " was cut "
                    + "at the shutdown grace after " + text.generatedTokens() + " tokens"));
            return true;
        }

        @Override
        public void failed(int index, Throwable cause, TaskTiming timing) {
            if (future.isDone()) {
                return;
            }
            if (cause instanceof PoolRejectedException rejected) {
                future.complete(results.error(request, PoolErrors.code(rejected.error()), rejected.getMessage(),
                        PoolErrors.retryable(rejected.error()), requestContext, submittedAtMs));
            } else {
                future.complete(results.error(request, ErrorCode.INFERENCE_FAILED, "generation failed: " + cause,
                        false, requestContext, submittedAtMs));
            }
        }
    }
}
