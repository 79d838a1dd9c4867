package io.modelpool.worker.capability.image;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.Timings;
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
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * The request handling that the image capabilities share: one image per request, one pool task per image.
 *
 * <p>Checks, in order, on the calling thread and before any raster is decoded: known model of this
 * capability (UNKNOWN_MODEL, WRONG_CAPABILITY), deadline (EXPIRED), then the image from its header
 * ({@link ImageDecoder#check}: EMPTY_INPUT, INPUT_TOO_LARGE for {@code limits.max-image-bytes} and
 * {@code limits.max-image-pixels}, UNSUPPORTED_MEDIA_TYPE, CORRUPT_IMAGE). The raster is decoded on a pool
 * worker; an image that fails there answers CORRUPT_IMAGE and affects no other task of its batch.
 *
 * <p>Threading as {@link CapabilityService} says; the subclass's {@link #answer} runs on pool worker
 * threads and must be quick.
 *
 * @param <Q> the Avro request
 * @param <T> the pool task
 * @param <O> the runner's outcome per task
 */
public abstract class ImageService<Q extends SpecificRecord, T, O> implements CapabilityService {

    /** The fields every image request has. */
    public record ImageRequest(String id, String jobId, String model, Instant deadline, ImageInput image) {
    }

    private final Capability capability;
    private final Class<Q> requestClass;
    private final ModelPool<T, O> pool;
    private final Set<String> models;
    private final CapabilityContext context;
    private final ImageLimits limits;
    private final LongSupplier clock;

    protected ImageService(Capability capability, Class<Q> requestClass, ModelPool<T, O> pool, Set<String> models,
                           CapabilityContext context, LongSupplier clock) {
        this.capability = capability;
        this.requestClass = requestClass;
        this.pool = pool;
        this.models = Set.copyOf(models);
        this.context = context;
        this.limits = ImageLimits.from(context.limits());
        this.clock = clock;
    }

    /** The request's common fields. */
    protected abstract ImageRequest fields(Q request);

    /** The pool task for an accepted image of a request to {@code model}. */
    protected abstract T task(String model, ImageCheck.Accepted image, long deadlineEpochMs);

    /** The result for a task's outcome (OK or, for refused or expired outcomes, ERROR). */
    protected abstract SpecificRecord answer(Q request, O outcome, Timings timings, RequestContext context);

    /** An ERROR result. */
    protected abstract SpecificRecord error(Q request, ResultError error, Timings timings, RequestContext context);

    @Override
    public final Capability capability() {
        return capability;
    }

    @Override
    public final Class<? extends SpecificRecord> requestClass() {
        return requestClass;
    }

    /** The pool behind this service. */
    public final ModelPool<T, O> pool() {
        return pool;
    }

    @Override
    public final CompletableFuture<SpecificRecord> handle(SpecificRecord record, RequestContext requestContext)
            throws PoolRejectedException {
        Q request = cast(record);
        ImageRequest r = fields(request);
        if (pool.isShuttingDown()) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(r.model()));
        }
        long now = clock.getAsLong();
        if (!models.contains(r.model())) {
            Optional<Capability> other = context.capabilityOf(r.model());
            return other.isPresent()
                    ? refuse(request, ErrorCode.WRONG_CAPABILITY, "model '" + r.model() + "' serves " + other.get()
                    + ", not " + capability, false, requestContext, now)
                    : refuse(request, ErrorCode.UNKNOWN_MODEL, "unknown model '" + r.model() + "'; this worker serves "
                    + capability + " models " + new TreeSet<>(models), false, requestContext, now);
        }
        long deadline = r.deadline() == null ? Long.MAX_VALUE : r.deadline().toEpochMilli();
        if (deadline < now) {
            return refuse(request, ErrorCode.EXPIRED, "the request's deadline (" + deadline
                    + " ms since epoch) had passed on arrival", false, requestContext, now);
        }
        if (r.image() == null) {
            return refuse(request, ErrorCode.EMPTY_INPUT, "the request has no image", false, requestContext, now);
        }
        ImageCheck check = ImageDecoder.check(ImageDecoder.bytes(r.image().getData()), r.image().getMediaType(),
                limits);
        if (check instanceof ImageCheck.Refused refused) {
            return refuse(request, refused.code(), refused.message(), false, requestContext, now);
        }
        Answer answer = new Answer(request, requestContext, now);
        try {
            pool.submit(r.model(), task(r.model(), (ImageCheck.Accepted) check, deadline),
                    RequestPriorities.poolClass(request), answer);
        } catch (PoolRejectedException e) {
            PoolError pe = e.error();
            if (pe instanceof PoolError.ShuttingDown || pe instanceof PoolError.Overloaded) {
                throw e;
            }
            return refuse(request, PoolErrors.code(pe), e.getMessage(), PoolErrors.retryable(pe), requestContext, now);
        }
        return answer.future;
    }

    @Override
    public final SpecificRecord errorResult(SpecificRecord request, ErrorCode code, String message, boolean retryable,
                                            RequestContext requestContext) {
        long now = clock.getAsLong();
        return error(cast(request), new ResultError(code, message, retryable), new Timings(0L, 0L,
                endToEnd(requestContext, now)), requestContext);
    }

    /** From the request record's timestamp (or the submission) to now, in ms. */
    protected final long endToEnd(RequestContext requestContext, long submittedAtMs) {
        long start = requestContext.recordTimestampMs() > 0 ? requestContext.recordTimestampMs() : submittedAtMs;
        return Math.max(0, clock.getAsLong() - start);
    }

    private CompletableFuture<SpecificRecord> refuse(Q request, ErrorCode code, String message, boolean retryable,
                                                     RequestContext requestContext, long now) {
        return CompletableFuture.completedFuture(error(request, new ResultError(code, message, retryable),
                new Timings(0L, 0L, endToEnd(requestContext, now)), requestContext));
    }

    private Q cast(SpecificRecord record) {
        if (requestClass.isInstance(record)) {
            return requestClass.cast(record);
        }
        throw new IllegalArgumentException(capability + " expects " + requestClass.getSimpleName() + ", got "
                + (record == null ? "null" : record.getClass().getName()));
    }

    /** Turns the one task of a request into its result; called once, on a pool thread. */
    private final class Answer implements TaskListener<O> {

        private final Q request;
        private final RequestContext requestContext;
        private final long submittedAtMs;
        private final CompletableFuture<SpecificRecord> future = new CompletableFuture<>();

        Answer(Q request, RequestContext requestContext, long submittedAtMs) {
            this.request = request;
            this.requestContext = requestContext;
            this.submittedAtMs = submittedAtMs;
        }

        @Override
        public void completed(int index, O output, TaskTiming timing) {
            future.complete(answer(request, output, new Timings(
                    TimeUnit.NANOSECONDS.toMillis(timing.startedNanos() - timing.submittedNanos()),
                    TimeUnit.NANOSECONDS.toMillis(timing.finishedNanos() - timing.startedNanos()),
                    endToEnd(requestContext, submittedAtMs)), requestContext));
        }

        @Override
        public void failed(int index, Throwable cause, TaskTiming timing) {
            ResultError e = cause instanceof PoolRejectedException rejected
                    ? new ResultError(PoolErrors.code(rejected.error()), rejected.getMessage(),
                    PoolErrors.retryable(rejected.error()))
                    : new ResultError(ErrorCode.INFERENCE_FAILED, "inference failed: " + cause, false);
            future.complete(error(request, e, new Timings(0L, 0L, endToEnd(requestContext, submittedAtMs)),
                    requestContext));
        }
    }
}
