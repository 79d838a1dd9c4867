package io.modelpool.worker.capability.textembedding;

import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.PoolErrors;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestPriorities;
import io.modelpool.worker.manifest.RequestLimits;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Answers {@link TextEmbeddingRequest}s: validates the request, tokenises each text once on the calling
 * thread (so the pool can sort and budget batches by token count and the workers only run the model),
 * submits all texts of a request as pool tasks in one all-or-nothing step, and assembles one result when
 * the last text is done.
 *
 * <p>Checks, in order, before anything is tokenised: known model of this capability (UNKNOWN_MODEL,
 * WRONG_CAPABILITY), deadline (EXPIRED), at least one text (EMPTY_INPUT), at most
 * {@code limits.max-inputs-per-request} texts (INPUT_TOO_LARGE), and per text: not empty (EMPTY_INPUT), at
 * most {@code limits.max-input-bytes} UTF-8 bytes (INPUT_TOO_LARGE), no unpaired UTF-16 surrogate
 * (INVALID_REQUEST). A text longer than the model's maximum sequence length is truncated and flagged in its
 * embedding, never refused.
 */
public final class TextEmbeddingService implements CapabilityService {

    private final ModelPool<EncodedText, EmbeddingOutcome> pool;
    private final Map<String, TextModel> models;
    private final CapabilityContext context;
    private final RequestLimits limits;
    private final LongSupplier clock;
    private final TextEmbeddingResults results;

    TextEmbeddingService(ModelPool<EncodedText, EmbeddingOutcome> pool, Map<String, TextModel> models,
                         CapabilityContext context, LongSupplier clock) {
        this.pool = pool;
        this.models = Map.copyOf(models);
        this.context = context;
        this.limits = context.limits();
        this.clock = clock;
        this.results = new TextEmbeddingResults(clock);
    }

    @Override
    public Capability capability() {
        return Capability.TEXT_EMBEDDING;
    }

    @Override
    public Class<? extends SpecificRecord> requestClass() {
        return TextEmbeddingRequest.class;
    }

    /** The pool behind this service. */
    public ModelPool<EncodedText, EmbeddingOutcome> pool() {
        return pool;
    }

    @Override
    public CompletableFuture<SpecificRecord> handle(SpecificRecord record, RequestContext requestContext)
            throws PoolRejectedException {
        TextEmbeddingRequest request = cast(record);
        if (pool.isShuttingDown()) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
        }
        long now = clock.getAsLong();
        TextModel model = models.get(request.getModel());
        if (model == null) {
            Optional<Capability> other = context.capabilityOf(request.getModel());
            return other.isPresent()
                    ? error(request, ErrorCode.WRONG_CAPABILITY, "model '" + request.getModel() + "' serves "
                    + other.get() + ", not TEXT_EMBEDDING", false, requestContext, now)
                    : error(request, ErrorCode.UNKNOWN_MODEL, "unknown model '" + request.getModel()
                    + "'; this worker serves text-embedding models " + new java.util.TreeSet<>(models.keySet()),
                    false, requestContext, now);
        }
        long deadline = request.getDeadline() == null ? Long.MAX_VALUE : request.getDeadline().toEpochMilli();
        if (deadline < now) {
            return error(request, ErrorCode.EXPIRED, "the request's deadline (" + deadline
                    + " ms since epoch) had passed on arrival", false, requestContext, now);
        }
        List<String> texts = request.getTexts();
        if (texts == null || texts.isEmpty()) {
            return error(request, ErrorCode.EMPTY_INPUT, "the request has no texts; at least one is required",
                    false, requestContext, now);
        }
        if (texts.size() > limits.maxInputsPerRequest()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "the request has " + texts.size()
                    + " texts; at most " + limits.maxInputsPerRequest() + " are allowed", false, requestContext, now);
        }
        for (int i = 0; i < texts.size(); i++) {
            String problem = TextChecks.problem(texts.get(i), limits.maxInputBytes());
            if (problem != null) {
                ErrorCode code = texts.get(i) == null || texts.get(i).isEmpty() ? ErrorCode.EMPTY_INPUT
                        : problem.startsWith(TextChecks.TOO_LARGE) ? ErrorCode.INPUT_TOO_LARGE
                        : ErrorCode.INVALID_REQUEST;
                return error(request, code, "texts[" + i + "] " + problem, false, requestContext, now);
            }
        }
        if (model.tokenizer() == null) {
            return error(request, ErrorCode.MODEL_LOAD_FAILED, "model '" + model.definition().key()
                    + "' failed to load its tokenizer: " + model.loadError(), true, requestContext, now);
        }
        String prefix = request.getInputType() == EmbeddingInputType.QUERY
                ? model.parameters().queryPrefix() : model.parameters().passagePrefix();
        List<EncodedText> encoded = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String text = prefix.isEmpty() ? texts.get(i) : prefix + texts.get(i);
            try {
                encoded.add(model.tokenizer().encode(text, deadline));
            } catch (IllegalStateException e) {
                if (model.tokenizer().isClosed()) {
                    throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
                }
                return error(request, ErrorCode.INVALID_REQUEST, "texts[" + i + "] could not be tokenised: "
                        + e.getMessage(), false, requestContext, now);
            } catch (RuntimeException e) {
                return error(request, ErrorCode.INVALID_REQUEST, "texts[" + i + "] could not be tokenised: "
                        + e.getMessage(), false, requestContext, now);
            }
        }
        RequestAssembly assembly = new RequestAssembly(request, requestContext, results, now, encoded);
        try {
            pool.submitAll(request.getModel(), encoded, RequestPriorities.poolClass(request), assembly);
        } catch (PoolRejectedException e) {
            PoolError pe = e.error();
            if (pe instanceof PoolError.ShuttingDown || pe instanceof PoolError.Overloaded) {
                throw e;
            }
            return error(request, PoolErrors.code(pe), e.getMessage(), PoolErrors.retryable(pe), requestContext, now);
        }
        return assembly.future();
    }

    @Override
    public SpecificRecord errorResult(SpecificRecord request, ErrorCode code, String message, boolean retryable,
                                      RequestContext requestContext) {
        return results.error(cast(request), code, message, retryable, requestContext, clock.getAsLong());
    }

    private CompletableFuture<SpecificRecord> error(TextEmbeddingRequest request, ErrorCode code, String message,
                                                    boolean retryable, RequestContext requestContext, long now) {
        return CompletableFuture.completedFuture(results.error(request, code, message, retryable, requestContext, now));
    }

    private static TextEmbeddingRequest cast(SpecificRecord record) {
        if (record instanceof TextEmbeddingRequest r) {
            return r;
        }
        throw new IllegalArgumentException("text-embedding expects TextEmbeddingRequest, got "
                + (record == null ? "null" : record.getClass().getName()));
    }
}
