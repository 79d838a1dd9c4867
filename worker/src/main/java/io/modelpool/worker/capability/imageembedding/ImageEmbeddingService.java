package io.modelpool.worker.capability.imageembedding;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageEmbeddingPayload;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.FloatVector;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.capability.image.ImageCheck;
import io.modelpool.worker.capability.image.ImageService;
import io.modelpool.worker.pool.ModelPool;
import java.util.List;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Answers {@link ImageEmbeddingRequest}s with the image's vector. Request checks are {@link ImageService}'s;
 * the optional prompt is ignored by the {@code image-encoder} family, which conditions on nothing.
 */
final class ImageEmbeddingService
        extends ImageService<ImageEmbeddingRequest, ImageEmbeddingResult, EncoderImage, ImageEmbeddingOutcome> {

    ImageEmbeddingService(
            ModelPool<EncoderImage, ImageEmbeddingOutcome> pool,
            Set<String> models,
            CapabilityContext context,
            LongSupplier clock) {
        super(Capability.IMAGE_EMBEDDING, ImageEmbeddingRequest.class, pool, models, context, clock);
    }

    @Override
    protected RequestFields fields(ImageEmbeddingRequest r) {
        return new RequestFields(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getPriority());
    }

    @Override
    protected ImageInput image(ImageEmbeddingRequest request) {
        return request.getImage();
    }

    @Override
    protected EncoderImage task(String model, ImageCheck.Accepted image, long deadlineEpochMs) {
        return new EncoderImage(image, deadlineEpochMs);
    }

    @Override
    protected Verdict verdict(int index, ImageEmbeddingOutcome outcome) {
        if (outcome instanceof ImageEmbeddingOutcome.Refused refused) {
            return fails(refused.code(), refused.message());
        }
        if (outcome instanceof ImageEmbeddingOutcome.Expired expired) {
            return expired(expired.deadlineEpochMs(), "before inference started");
        }
        return Verdict.DONE;
    }

    @Override
    protected ImageEmbeddingResult ok(
            ImageEmbeddingRequest request,
            List<EncoderImage> tasks,
            List<ImageEmbeddingOutcome> outcomes,
            Timings timings,
            RequestContext context) {
        ImageEmbeddingOutcome.Vector vector = (ImageEmbeddingOutcome.Vector) outcomes.get(0);
        return new ImageEmbeddingResult(
                request.getId(),
                request.getJobId(),
                request.getModel(),
                ResultStatus.OK,
                null,
                new ImageEmbeddingPayload(new FloatVector(vector.values())),
                timings,
                context.workerId());
    }

    @Override
    protected ImageEmbeddingResult error(
            ImageEmbeddingRequest request, ResultError error, Timings timings, RequestContext context) {
        return new ImageEmbeddingResult(
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
    protected void stamp(ImageEmbeddingResult result, String workerId, long endToEndMs) {
        result.setWorkerId(workerId);
        result.getTimings().setEndToEndMs(endToEndMs);
    }
}
