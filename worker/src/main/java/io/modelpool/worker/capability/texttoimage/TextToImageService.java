package io.modelpool.worker.capability.texttoimage;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextToImagePayload;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.v1.Timings;
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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Answers {@link TextToImageRequest}s: validates the request, tokenises the prompt and the negative prompt on
 * the calling thread, and submits one image task per request.
 *
 * <p>Checks, in order: known model of this capability (UNKNOWN_MODEL, WRONG_CAPABILITY), deadline (EXPIRED),
 * prompt not empty (EMPTY_INPUT), prompt and negative prompt within {@code limits.max-input-bytes}
 * (INPUT_TOO_LARGE), steps at least 1 and guidance scale finite and not negative (INVALID_REQUEST), steps
 * within the model's {@code max-steps} (INPUT_TOO_LARGE) and, for DDIM, within its {@code train-timesteps}
 * (INVALID_REQUEST), width and height positive multiples of the model's
 * {@code vae-scale-factor} (INVALID_REQUEST) whose product is within {@code max-pixels} (INPUT_TOO_LARGE). A
 * request without a seed gets a random one, reported in the result.
 */
public final class TextToImageService implements CapabilityService {

    private final ModelPool<ImageTask, ImageOutcome> pool;
    private final Map<String, DiffusionModel> models;
    private final CapabilityContext context;
    private final LongSupplier clock;

    TextToImageService(ModelPool<ImageTask, ImageOutcome> pool, Map<String, DiffusionModel> models,
                       CapabilityContext context, LongSupplier clock) {
        this.pool = pool;
        this.models = Map.copyOf(models);
        this.context = context;
        this.clock = clock;
    }

    @Override
    public Capability capability() {
        return Capability.TEXT_TO_IMAGE;
    }

    @Override
    public Class<? extends SpecificRecord> requestClass() {
        return TextToImageRequest.class;
    }

    @Override
    public CompletableFuture<SpecificRecord> handle(SpecificRecord record, RequestContext requestContext)
            throws PoolRejectedException {
        TextToImageRequest request = cast(record);
        if (pool.isShuttingDown()) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
        }
        long now = clock.getAsLong();
        DiffusionModel model = models.get(request.getModel());
        if (model == null) {
            Optional<Capability> other = context.capabilityOf(request.getModel());
            return other.isPresent()
                    ? error(request, ErrorCode.WRONG_CAPABILITY, "model '" + request.getModel() + "' serves "
                    + other.get() + ", not TEXT_TO_IMAGE", false, requestContext, now)
                    : error(request, ErrorCode.UNKNOWN_MODEL, "unknown model '" + request.getModel()
                    + "'; this worker serves text-to-image models " + new TreeSet<>(models.keySet()), false,
                    requestContext, now);
        }
        long deadline = request.getDeadline() == null ? Long.MAX_VALUE : request.getDeadline().toEpochMilli();
        if (deadline < now) {
            return error(request, ErrorCode.EXPIRED, "the request's deadline (" + deadline
                    + " ms since epoch) had passed on arrival", false, requestContext, now);
        }
        String prompt = request.getPrompt();
        if (prompt == null || prompt.isEmpty()) {
            return error(request, ErrorCode.EMPTY_INPUT, "the prompt is empty", false, requestContext, now);
        }
        DiffusionParameters p = request.getParameters();
        String negative = p.getNegativePrompt() == null ? "" : p.getNegativePrompt();
        int maxBytes = context.limits().maxInputBytes();
        if (prompt.getBytes(StandardCharsets.UTF_8).length > maxBytes
                || negative.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "the prompt or negative prompt has more than "
                    + maxBytes + " UTF-8 bytes", false, requestContext, now);
        }
        LatentDiffusionParameters limits = model.parameters();
        if (p.getSteps() < 1) {
            return error(request, ErrorCode.INVALID_REQUEST, "parameters.steps = " + p.getSteps()
                    + " is invalid; allowed: at least 1", false, requestContext, now);
        }
        if (!(p.getGuidanceScale() >= 0f) || Float.isInfinite(p.getGuidanceScale())) {
            return error(request, ErrorCode.INVALID_REQUEST, "parameters.guidanceScale = " + p.getGuidanceScale()
                    + " is invalid; allowed: a finite number, at least 0 (1 turns guidance off)", false,
                    requestContext, now);
        }
        if (p.getSteps() > limits.maxSteps()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "parameters.steps = " + p.getSteps()
                    + " is above model '" + request.getModel() + "''s max-steps of " + limits.maxSteps(), false,
                    requestContext, now);
        }
        if (p.getScheduler() == Scheduler.DDIM && p.getSteps() > limits.schedule().trainTimesteps()) {
            return error(request, ErrorCode.INVALID_REQUEST, "parameters.steps = " + p.getSteps()
                    + " is invalid for DDIM; allowed: at most the model's train-timesteps ("
                    + limits.schedule().trainTimesteps() + ")", false, requestContext, now);
        }
        int width = p.getWidth() == null ? limits.defaultWidth() : p.getWidth();
        int height = p.getHeight() == null ? limits.defaultHeight() : p.getHeight();
        int factor = limits.vaeScaleFactor();
        if (width < factor || height < factor || width % factor != 0 || height % factor != 0) {
            return error(request, ErrorCode.INVALID_REQUEST, "parameters.width x height = " + width + "x" + height
                    + " is invalid; allowed: positive multiples of " + factor, false, requestContext, now);
        }
        if ((long) width * height > limits.maxPixels()) {
            return error(request, ErrorCode.INPUT_TOO_LARGE, "parameters.width x height = " + width + "x" + height
                    + " is above model '" + request.getModel() + "''s max-pixels of " + limits.maxPixels(), false,
                    requestContext, now);
        }
        if (model.tokenizer() == null) {
            return error(request, ErrorCode.MODEL_LOAD_FAILED, "model '" + request.getModel()
                    + "' failed to load its tokenizer: " + model.loadError(), true, requestContext, now);
        }
        long[] promptIds;
        long[] negativeIds;
        try {
            promptIds = model.tokenizer().encode(prompt);
            negativeIds = model.tokenizer().encode(negative);
        } catch (IllegalStateException e) {
            if (model.tokenizer().isClosed()) {
                throw new PoolRejectedException(new PoolError.ShuttingDown(request.getModel()));
            }
            return error(request, ErrorCode.INVALID_REQUEST, "the prompt could not be tokenised: " + e.getMessage(),
                    false, requestContext, now);
        } catch (RuntimeException e) {
            return error(request, ErrorCode.INVALID_REQUEST, "the prompt could not be tokenised: " + e.getMessage(),
                    false, requestContext, now);
        }
        long seed = p.getSeed() != null ? p.getSeed() : ThreadLocalRandom.current().nextLong();
        ImageTask task = new ImageTask(promptIds, negativeIds, p.getSteps(), p.getGuidanceScale(), p.getScheduler(),
                seed, width, height, deadline);
        Answer answer = new Answer(request, requestContext, now);
        try {
            pool.submit(request.getModel(), task, RequestPriorities.poolClass(request), answer);
        } catch (PoolRejectedException e) {
            PoolError pe = e.error();
            if (pe instanceof PoolError.ShuttingDown || pe instanceof PoolError.Overloaded) {
                throw e;
            }
            return error(request, PoolErrors.code(pe), e.getMessage(), PoolErrors.retryable(pe), requestContext, now);
        }
        return answer.future;
    }

    @Override
    public SpecificRecord errorResult(SpecificRecord request, ErrorCode code, String message, boolean retryable,
                                      RequestContext requestContext) {
        long now = clock.getAsLong();
        return errorRecord(cast(request), code, message, retryable, requestContext, now);
    }

    private CompletableFuture<SpecificRecord> error(TextToImageRequest request, ErrorCode code, String message,
                                                    boolean retryable, RequestContext requestContext, long now) {
        return CompletableFuture.completedFuture(errorRecord(request, code, message, retryable, requestContext, now));
    }

    private TextToImageResult errorRecord(TextToImageRequest request, ErrorCode code, String message,
                                          boolean retryable, RequestContext requestContext, long submittedAtMs) {
        return new TextToImageResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.ERROR,
                new ResultError(code, message, retryable), null,
                new Timings(0L, 0L, endToEnd(requestContext, submittedAtMs)), requestContext.workerId());
    }

    private long endToEnd(RequestContext requestContext, long submittedAtMs) {
        long start = requestContext.recordTimestampMs() > 0 ? requestContext.recordTimestampMs() : submittedAtMs;
        return Math.max(0, clock.getAsLong() - start);
    }

    private static TextToImageRequest cast(SpecificRecord record) {
        if (record instanceof TextToImageRequest r) {
            return r;
        }
        throw new IllegalArgumentException("text-to-image expects TextToImageRequest, got "
                + (record == null ? "null" : record.getClass().getName()));
    }

    /** Turns the one task of a request into its result; called once, on a pool thread. */
    private final class Answer implements TaskListener<ImageOutcome> {

        private final TextToImageRequest request;
        private final RequestContext requestContext;
        private final long submittedAtMs;
        private final CompletableFuture<SpecificRecord> future = new CompletableFuture<>();

        Answer(TextToImageRequest request, RequestContext requestContext, long submittedAtMs) {
            this.request = request;
            this.requestContext = requestContext;
            this.submittedAtMs = submittedAtMs;
        }

        /** Names the request in the pool's logs. */
        @Override
        public String toString() {
            return "request '" + request.getId() + "' (job '" + request.getJobId() + "')";
        }

        @Override
        public void completed(int index, ImageOutcome output, TaskTiming timing) {
            if (output instanceof ImageOutcome.Png png) {
                TextToImagePayload payload = new TextToImagePayload(ByteBuffer.wrap(png.bytes()), "image/png",
                        png.width(), png.height(), png.seed());
                future.complete(new TextToImageResult(request.getId(), request.getJobId(), request.getModel(),
                        ResultStatus.OK, null, payload, new Timings(
                        TimeUnit.NANOSECONDS.toMillis(timing.startedNanos() - timing.submittedNanos()),
                        TimeUnit.NANOSECONDS.toMillis(timing.finishedNanos() - timing.startedNanos()),
                        endToEnd(requestContext, submittedAtMs)), requestContext.workerId()));
            } else if (output instanceof ImageOutcome.Expired expired) {
                future.complete(errorRecord(request, ErrorCode.EXPIRED, "the request's deadline ("
                        + expired.deadlineEpochMs() + " ms since epoch) passed before the image was done", false,
                        requestContext, submittedAtMs));
            } else if (output instanceof ImageOutcome.ShutDown down) {
                // Abandoned, not answered: the partition's next owner draws the image whole.
                future.completeExceptionally(new AbandonedAtShutdownException("the denoising of " + this
                        + " was cut at the shutdown grace after " + down.stepsDone() + " steps"));
            }
        }

        @Override
        public void failed(int index, Throwable cause, TaskTiming timing) {
            if (cause instanceof PoolRejectedException rejected) {
                future.complete(errorRecord(request, PoolErrors.code(rejected.error()), rejected.getMessage(),
                        PoolErrors.retryable(rejected.error()), requestContext, submittedAtMs));
            } else {
                future.complete(errorRecord(request, ErrorCode.INFERENCE_FAILED, "image generation failed: "
                        + cause, false, requestContext, submittedAtMs));
            }
        }
    }
}
