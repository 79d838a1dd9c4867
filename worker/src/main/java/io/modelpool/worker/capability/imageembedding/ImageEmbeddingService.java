package io.modelpool.worker.capability.imageembedding;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageEmbeddingPayload;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Timings;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.FloatVector;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.image.ImageCheck;
import io.modelpool.worker.capability.image.ImageService;
import io.modelpool.worker.pool.ModelPool;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * Answers {@link ImageEmbeddingRequest}s with the image's vector. Request checks are {@link ImageService}'s;
 * the optional prompt is ignored by the {@code image-encoder} family, which conditions on nothing.
 */
public final class ImageEmbeddingService extends ImageService<ImageEmbeddingRequest, EncoderImage,
        ImageEmbeddingOutcome> {

    ImageEmbeddingService(ModelPool<EncoderImage, ImageEmbeddingOutcome> pool, Set<String> models,
                          CapabilityContext context, LongSupplier clock) {
        super(Capability.IMAGE_EMBEDDING, ImageEmbeddingRequest.class, pool, models, context, clock);
    }

    @Override
    protected ImageRequest fields(ImageEmbeddingRequest r) {
        return new ImageRequest(r.getId(), r.getJobId(), r.getModel(), r.getDeadline(), r.getImage());
    }

    @Override
    protected EncoderImage task(String model, ImageCheck.Accepted image, long deadlineEpochMs) {
        return new EncoderImage(image, deadlineEpochMs);
    }

    @Override
    protected SpecificRecord answer(ImageEmbeddingRequest request, ImageEmbeddingOutcome outcome, Timings timings,
                                    RequestContext context) {
        if (outcome instanceof ImageEmbeddingOutcome.Vector vector) {
            return new ImageEmbeddingResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.OK,
                    null, new ImageEmbeddingPayload(new FloatVector(vector.values())), timings, context.workerId());
        }
        if (outcome instanceof ImageEmbeddingOutcome.Refused refused) {
            return error(request, new ResultError(refused.code(), refused.message(), false), timings, context);
        }
        ImageEmbeddingOutcome.Expired expired = (ImageEmbeddingOutcome.Expired) outcome;
        return error(request, new ResultError(ErrorCode.EXPIRED, "the request's deadline ("
                + expired.deadlineEpochMs() + " ms since epoch) passed before inference started", false), timings,
                context);
    }

    @Override
    protected SpecificRecord error(ImageEmbeddingRequest request, ResultError error, Timings timings,
                                   RequestContext context) {
        return new ImageEmbeddingResult(request.getId(), request.getJobId(), request.getModel(), ResultStatus.ERROR,
                error, null, timings, context.workerId());
    }
}
