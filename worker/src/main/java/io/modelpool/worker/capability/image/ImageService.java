package io.modelpool.worker.capability.image;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageInput;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.PooledService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.ModelPool;
import java.util.Set;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;

/**
 * The request checks that the image capabilities share: one image per request, one pool task per image.
 *
 * <p>After {@link PooledService}'s checks (model, deadline), the image is checked from its header
 * ({@link ImageDecoder#check}: EMPTY_INPUT, INPUT_TOO_LARGE for {@code limits.max-image-bytes} and
 * {@code limits.max-image-pixels}, UNSUPPORTED_MEDIA_TYPE, CORRUPT_IMAGE) before any raster is decoded. The
 * raster is decoded on a pool worker; an image that fails there answers CORRUPT_IMAGE and affects no other task
 * of its batch.
 *
 * @param <Q> the Avro request
 * @param <R> the Avro result
 * @param <T> the pool task
 * @param <O> the runner's outcome per task
 */
public abstract class ImageService<Q extends SpecificRecord, R extends SpecificRecord, T, O>
        extends PooledService<Q, R, String, T, O> {

    private final ImageLimits limits;

    protected ImageService(
            Capability capability,
            Class<Q> requestClass,
            ModelPool<T, O> pool,
            Set<String> models,
            CapabilityContext context,
            LongSupplier clock) {
        super(
                capability,
                requestClass,
                pool,
                models.stream().collect(Collectors.toMap(Function.identity(), Function.identity())),
                context,
                clock);
        this.limits = ImageLimits.from(context.limits());
    }

    /** The request's image, or null. */
    protected abstract ImageInput image(Q request);

    /** The pool task for an accepted image of a request to {@code model}. */
    protected abstract T task(String model, ImageCheck.Accepted image, long deadlineEpochMs);

    @Override
    protected final Prepared<T> prepare(
            Q request, String model, long deadlineEpochMs, RequestContext context, EarlyAnswer<O> early) {
        ImageInput image = image(request);
        if (image == null) {
            return refuse(ErrorCode.EMPTY_INPUT, "the request has no image");
        }
        ImageCheck check = ImageDecoder.check(ImageDecoder.bytes(image.getData()), image.getMediaType(), limits);
        if (check instanceof ImageCheck.Refused refused) {
            return refuse(refused.code(), refused.message());
        }
        return submit(task(model, (ImageCheck.Accepted) check, deadlineEpochMs));
    }
}
