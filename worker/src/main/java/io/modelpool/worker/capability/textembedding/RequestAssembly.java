package io.modelpool.worker.capability.textembedding;

import io.modelpool.v1.Embedding;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.TextEmbeddingPayload;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.FloatVector;
import io.modelpool.worker.capability.PoolErrors;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.PoolRejectedException;
import io.modelpool.worker.pool.TaskListener;
import io.modelpool.worker.pool.TaskTiming;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;

/**
 * Collects the per-text task outcomes of one request into its single result. The request's future completes
 * when the last text is embedded (OK), or at the first text that fails or expires (ERROR); later outcomes of
 * a failed request are dropped.
 *
 * <p>Called on pool worker threads; texts of one request may finish on different workers at once. Each
 * index is written once, and the countdown's atomic decrement publishes those writes to the thread that
 * builds the result.
 */
final class RequestAssembly implements TaskListener<EmbeddingOutcome> {

    private final TextEmbeddingRequest request;
    private final RequestContext context;
    private final TextEmbeddingResults results;
    private final long submittedAtMs;
    private final EncodedText[] texts;
    private final float[][] vectors;
    private final AtomicInteger remaining;
    private final AtomicBoolean finished = new AtomicBoolean();
    private final CompletableFuture<SpecificRecord> future = new CompletableFuture<>();
    private long firstStartNanos = Long.MAX_VALUE;
    private long firstSubmitNanos = Long.MAX_VALUE;
    private long lastFinishNanos = Long.MIN_VALUE;

    RequestAssembly(TextEmbeddingRequest request, RequestContext context, TextEmbeddingResults results,
                    long submittedAtMs, List<EncodedText> texts) {
        this.request = request;
        this.context = context;
        this.results = results;
        this.submittedAtMs = submittedAtMs;
        this.texts = texts.toArray(EncodedText[]::new);
        this.vectors = new float[texts.size()][];
        this.remaining = new AtomicInteger(texts.size());
    }

    /** Names the request in the pool's logs. */
    @Override
    public String toString() {
        return "request '" + request.getId() + "' (job '" + request.getJobId() + "')";
    }

    CompletableFuture<SpecificRecord> future() {
        return future;
    }

    @Override
    public void completed(int index, EmbeddingOutcome output, TaskTiming timing) {
        if (output instanceof EmbeddingOutcome.Expired expired) {
            fail(ErrorCode.EXPIRED, "the request's deadline (" + expired.deadlineEpochMs()
                    + " ms since epoch) passed before inference started", false);
            return;
        }
        vectors[index] = ((EmbeddingOutcome.Vector) output).values();
        observe(timing);
        if (remaining.decrementAndGet() == 0 && finished.compareAndSet(false, true)) {
            future.complete(okResult());
        }
    }

    @Override
    public void failed(int index, Throwable cause, TaskTiming timing) {
        if (cause instanceof PoolRejectedException rejected) {
            fail(PoolErrors.code(rejected.error()), rejected.getMessage(), PoolErrors.retryable(rejected.error()));
        } else {
            fail(ErrorCode.INFERENCE_FAILED, "inference failed for texts[" + index + "]: " + cause, false);
        }
    }

    private void fail(ErrorCode code, String message, boolean retryable) {
        if (finished.compareAndSet(false, true)) {
            future.complete(results.error(request, code, message, retryable, context, submittedAtMs));
        }
    }

    private synchronized void observe(TaskTiming timing) {
        firstStartNanos = Math.min(firstStartNanos, timing.startedNanos());
        firstSubmitNanos = Math.min(firstSubmitNanos, timing.submittedNanos());
        lastFinishNanos = Math.max(lastFinishNanos, timing.finishedNanos());
    }

    private TextEmbeddingResult okResult() {
        List<Embedding> embeddings = new ArrayList<>(vectors.length);
        for (int i = 0; i < vectors.length; i++) {
            embeddings.add(new Embedding(new FloatVector(vectors[i]), texts[i].tokens(), texts[i].truncated()));
        }
        long queuedMs;
        long inferenceMs;
        synchronized (this) {
            queuedMs = TimeUnit.NANOSECONDS.toMillis(firstStartNanos - firstSubmitNanos);
            inferenceMs = TimeUnit.NANOSECONDS.toMillis(lastFinishNanos - firstStartNanos);
        }
        TextEmbeddingPayload payload = new TextEmbeddingPayload(vectors[0].length, embeddings);
        return results.ok(request, payload, queuedMs, inferenceMs, context, submittedAtMs);
    }
}
