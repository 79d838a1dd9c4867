package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.pool.PoolRejectedException;
import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;

/**
 * One per capability: turns decoded Avro requests into pool work and outcomes into Avro results, each an
 * {@link Outcome} (the record to publish and its envelope). {@link PooledService} implements it once for every
 * capability that runs on a model pool.
 *
 * <p>Threading: {@link #handle} and {@link #errorResult} are called on the intake thread (any single thread
 * is fine; both are also safe to call from several threads). {@code handle} does the request's cheap
 * preparation (validation, tokenising) on the calling thread and never waits for inference or for a model
 * to load. The returned future completes on a pool worker thread, or already completed when the request is
 * answered without inference; callbacks attached to it must be quick.
 */
public interface CapabilityService {

    /** The capability this service answers. */
    Capability capability();

    /** The Avro request class it accepts, for example {@code TextEmbeddingRequest.class}. */
    Class<? extends SpecificRecord> requestClass();

    /**
     * The request's envelope: its id, job id, model, deadline and priority, as the owning capability reads them.
     *
     * @throws IllegalArgumentException when {@code request} is not of {@link #requestClass()}
     */
    RequestFields requestFields(SpecificRecord request);

    /**
     * Validates and submits. Bad input, unknown model, expired deadline, model load failure and inference
     * failure all complete the future with an ERROR outcome. Every request that does not throw gets exactly one
     * outcome, except one whose work the worker's shutdown cut short: its future completes exceptionally with
     * {@link AbandonedAtShutdownException}, and the intake leaves it to the partition's next owner.
     *
     * @throws PoolRejectedException synchronously, having submitted nothing, only when the pool is shutting
     *                               down ({@code PoolError.ShuttingDown}) or the model's bounded queue is full
     *                               ({@code PoolError.Overloaded}); the intake then holds the record and
     *                               retries later or pauses
     */
    CompletableFuture<Outcome> handle(SpecificRecord request, RequestContext context) throws PoolRejectedException;

    /**
     * An ERROR outcome for a request of this capability, without inference: for failures the intake itself
     * detects (an internal error, a result too large to publish) and for requests it answers unrun.
     */
    Outcome errorResult(
            SpecificRecord request, ErrorCode code, String message, boolean retryable, RequestContext context);
}
