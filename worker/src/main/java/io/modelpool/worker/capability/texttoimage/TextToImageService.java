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
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.PooledService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.pool.ModelPool;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * Answers {@link TextToImageRequest}s: validates the request, tokenises the prompt and the negative prompt on
 * the calling thread, and submits one image task per request.
 *
 * <p>Checks, after {@link PooledService}'s (model, deadline): prompt not empty (EMPTY_INPUT), prompt and negative prompt within {@code limits.max-input-bytes}
 * (INPUT_TOO_LARGE), steps at least 1 and guidance scale finite and not negative (INVALID_REQUEST), steps
 * within the model's {@code max-steps} (INPUT_TOO_LARGE) and, for DDIM, within its {@code train-timesteps}
 * (INVALID_REQUEST), width and height positive multiples of the model's
 * {@code vae-scale-factor} (INVALID_REQUEST) whose product is within {@code max-pixels} (INPUT_TOO_LARGE). A
 * request without a seed gets a random one, reported in the result.
 */
public final class TextToImageService
        extends PooledService<TextToImageRequest, TextToImageResult, DiffusionModel, ImageTask, ImageOutcome> {

    private final CapabilityContext context;

    TextToImageService(
            ModelPool<ImageTask, ImageOutcome> pool,
            Map<String, DiffusionModel> models,
            CapabilityContext context,
            LongSupplier clock) {
        super(Capability.TEXT_TO_IMAGE, TextToImageRequest.class, pool, models, context, clock);
        this.context = context;
    }

    @Override
    protected RequestFields fields(TextToImageRequest r) {
        return new RequestFields(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getPriority());
    }

    @Override
    protected Prepared<ImageTask> prepare(
            TextToImageRequest request,
            DiffusionModel model,
            long deadline,
            RequestContext requestContext,
            EarlyAnswer<ImageOutcome> early) {
        String prompt = request.getPrompt();
        if (prompt == null || prompt.isEmpty()) {
            return refuse(ErrorCode.EMPTY_INPUT, "the prompt is empty");
        }
        DiffusionParameters p = request.getParameters();
        String negative = p.getNegativePrompt() == null ? "" : p.getNegativePrompt();
        int maxBytes = context.limits().maxInputBytes();
        if (prompt.getBytes(StandardCharsets.UTF_8).length > maxBytes
                || negative.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "the prompt or negative prompt has more than " + maxBytes + " UTF-8 bytes");
        }
        LatentDiffusionParameters limits = model.parameters();
        if (p.getSteps() < 1) {
            return refuse(
                    ErrorCode.INVALID_REQUEST,
                    "parameters.steps = " + p.getSteps() + " is invalid; allowed: at least 1");
        }
        if (!(p.getGuidanceScale() >= 0f) || Float.isInfinite(p.getGuidanceScale())) {
            return refuse(
                    ErrorCode.INVALID_REQUEST,
                    "parameters.guidanceScale = " + p.getGuidanceScale()
                            + " is invalid; allowed: a finite number, at least 0 (1 turns guidance off)");
        }
        if (p.getSteps() > limits.maxSteps()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "parameters.steps = " + p.getSteps() + " is above model '" + request.getModel()
                            + "''s max-steps of " + limits.maxSteps());
        }
        if (p.getScheduler() == Scheduler.DDIM
                && p.getSteps() > limits.schedule().trainTimesteps()) {
            return refuse(
                    ErrorCode.INVALID_REQUEST,
                    "parameters.steps = " + p.getSteps()
                            + " is invalid for DDIM; allowed: at most the model's train-timesteps ("
                            + limits.schedule().trainTimesteps() + ")");
        }
        int width = p.getWidth() == null ? limits.defaultWidth() : p.getWidth();
        int height = p.getHeight() == null ? limits.defaultHeight() : p.getHeight();
        int factor = limits.vaeScaleFactor();
        if (width < factor || height < factor || width % factor != 0 || height % factor != 0) {
            return refuse(
                    ErrorCode.INVALID_REQUEST,
                    "parameters.width x height = " + width + "x" + height
                            + " is invalid; allowed: positive multiples of " + factor);
        }
        if ((long) width * height > limits.maxPixels()) {
            return refuse(
                    ErrorCode.INPUT_TOO_LARGE,
                    "parameters.width x height = " + width + "x" + height + " is above model '" + request.getModel()
                            + "''s max-pixels of " + limits.maxPixels());
        }
        if (model.tokenizer() == null) {
            return refuse(
                    ErrorCode.MODEL_LOAD_FAILED,
                    "model '" + request.getModel() + "' failed to load its tokenizer: " + model.loadError(),
                    true);
        }
        long[] promptIds;
        long[] negativeIds;
        try {
            promptIds = model.tokenizer().encode(prompt);
            negativeIds = model.tokenizer().encode(negative);
        } catch (RuntimeException e) {
            return untokenisable(e, "the prompt");
        }
        long seed =
                p.getSeed() != null ? p.getSeed() : ThreadLocalRandom.current().nextLong();
        return submit(new ImageTask(
                promptIds,
                negativeIds,
                p.getSteps(),
                p.getGuidanceScale(),
                p.getScheduler(),
                seed,
                width,
                height,
                deadline));
    }

    @Override
    protected Verdict verdict(int index, ImageOutcome outcome) {
        if (outcome instanceof ImageOutcome.Expired expired) {
            return expired(expired.deadlineEpochMs(), "before the image was done");
        }
        if (outcome instanceof ImageOutcome.ShutDown down) {
            return new Verdict.CutByShutdown("denoising", down.stepsDone() + " steps");
        }
        return Verdict.DONE;
    }

    @Override
    protected String failureMessage(int index, Throwable cause) {
        return "image generation failed: " + cause;
    }

    @Override
    protected TextToImageResult ok(
            TextToImageRequest request,
            List<ImageTask> tasks,
            List<ImageOutcome> outcomes,
            Timings timings,
            RequestContext context) {
        ImageOutcome.Png png = (ImageOutcome.Png) outcomes.get(0);
        TextToImagePayload payload = new TextToImagePayload(
                ByteBuffer.wrap(png.bytes()), "image/png", png.width(), png.height(), png.seed());
        return new TextToImageResult(
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
    protected TextToImageResult error(
            TextToImageRequest request, ResultError error, Timings timings, RequestContext context) {
        return new TextToImageResult(
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
    protected void stamp(TextToImageResult result, String workerId, long endToEndMs) {
        result.setWorkerId(workerId);
        result.getTimings().setEndToEndMs(endToEndMs);
    }
}
