package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Timings;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import io.modelpool.worker.pool.TaskListener;
import io.modelpool.worker.pool.TaskTiming;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongSupplier;
import org.apache.avro.specific.SpecificRecord;

/**
 * The request handling every pooled capability shares, written once: cast the request, refuse it while the pool
 * shuts down, answer an unknown model (UNKNOWN_MODEL) or another capability's model (WRONG_CAPABILITY), answer an
 * expired deadline (EXPIRED), let the capability check the request and build its pool tasks, submit them all or
 * none, turn pool errors into error results, collect the tasks' outcomes into one result and time it.
 *
 * <p>A capability supplies three pieces: {@link #prepare} (validation and task building, on the calling thread),
 * {@link #verdict} and {@link #ok} (what a task's outcome means, and the OK result from all of them), and its result
 * records ({@link #error}, {@link #stamp}). Nothing else in a capability deals with futures, pool errors or timings.
 *
 * <p>Threading as {@link CapabilityService} says. {@link #verdict}, {@link #ok} and {@link #error} also run on pool
 * worker threads and must be quick; the tasks of one request may finish on different workers at once.
 *
 * @param <Q> the Avro request
 * @param <R> the Avro result
 * @param <M> what the capability keeps per served model (its parameters and tokenizer, or just its key)
 * @param <T> the pool task
 * @param <O> the runner's outcome per task
 */
public abstract class PooledService<Q extends SpecificRecord, R extends SpecificRecord, M, T, O>
        implements CapabilityService {

    /** What {@link #prepare} decided: submit these tasks, or answer at once with an error. */
    public sealed interface Prepared<T> {

        /** Submit every task, all or none; their outcomes come back with their index in {@code tasks}. */
        record Submit<T>(List<T> tasks) implements Prepared<T> {
            public Submit {
                if (tasks.isEmpty()) {
                    throw new IllegalArgumentException("a request needs at least one task");
                }
                tasks = List.copyOf(tasks);
            }
        }

        /** Answer with an error result, submitting nothing. */
        record Refuse<T>(ErrorCode code, String message, boolean retryable) implements Prepared<T> {}
    }

    /** What one task's outcome means for its request. */
    public sealed interface Verdict {

        /** The task did its part of an OK result. */
        record Done() implements Verdict {}

        /** The request fails with this error; outcomes of its other tasks are dropped. */
        record Fails(ErrorCode code, String message, boolean retryable) implements Verdict {}

        /**
         * The task's work was cut by the worker's shutdown grace (a generation or a denoising loop stopped early).
         * The request is abandoned, not answered: its future completes exceptionally with
         * {@link AbandonedAtShutdownException}, so the intake publishes nothing and leaves its offset uncommitted
         * for the partition's next owner, which runs it whole. A truncated text or a SHUTTING_DOWN error would
         * instead answer it for good with less than it asked for.
         *
         * @param work  what was cut, for example "generation"
         * @param after how far it got, for example "12 tokens"
         */
        record CutByShutdown(String work, String after) implements Verdict {}

        Verdict DONE = new Done();
    }

    /**
     * Lets a task answer its request before the pool reports it, for work that ends before the rest of its batch
     * (a generation that stops while the others decode on). The first answer per task wins.
     */
    @FunctionalInterface
    public interface EarlyAnswer<O> {
        void answer(int index, O outcome, long startedNanos);
    }

    private final Capability capability;
    private final Class<Q> requestClass;
    private final ModelPool<T, O> pool;
    private final Map<String, M> models;
    private final CapabilityContext context;
    private final LongSupplier clock;

    protected PooledService(
            Capability capability,
            Class<Q> requestClass,
            ModelPool<T, O> pool,
            Map<String, M> models,
            CapabilityContext context,
            LongSupplier clock) {
        this.capability = Objects.requireNonNull(capability, "capability");
        this.requestClass = Objects.requireNonNull(requestClass, "requestClass");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.models = Map.copyOf(models);
        this.context = Objects.requireNonNull(context, "context");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The request's envelope, read with the generated getters. */
    protected abstract RequestFields fields(Q request);

    /**
     * Checks a request for a served model whose deadline has not passed, and builds its pool tasks; on the calling
     * thread, never waiting for inference. A tokenizer closed by a shutdown under way surfaces as
     * {@link ClosedTokenizerException} (see {@link #untokenisable}), which refuses the request as the pool would.
     *
     * @param early for tasks that can answer before their batch ends; most capabilities ignore it
     */
    protected abstract Prepared<T> prepare(
            Q request, M model, long deadlineEpochMs, RequestContext context, EarlyAnswer<O> early);

    /** What a task's outcome means for its request. */
    protected abstract Verdict verdict(int index, O outcome);

    /** The OK result once every task is {@link Verdict.Done}; {@code outcomes} in task order. */
    protected abstract R ok(Q request, List<T> tasks, List<O> outcomes, Timings timings, RequestContext context);

    /** An ERROR result. */
    protected abstract R error(Q request, ResultError error, Timings timings, RequestContext context);

    /** Sets the result's worker id and end-to-end time, with the generated setters. */
    protected abstract void stamp(R result, String workerId, long endToEndMs);

    /** The error message of a task whose run threw. */
    protected String failureMessage(int index, Throwable cause) {
        return "inference failed: " + cause;
    }

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
    public final RequestFields requestFields(SpecificRecord request) {
        return fields(cast(request));
    }

    @Override
    public final CompletableFuture<Outcome> handle(SpecificRecord record, RequestContext requestContext)
            throws PoolRejectedException {
        Q request = cast(record);
        RequestFields fields = fields(request);
        if (pool.isShuttingDown()) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(fields.model()));
        }
        long now = clock.getAsLong();
        M model = fields.model() == null ? null : models.get(fields.model());
        if (model == null) {
            Optional<Capability> other =
                    fields.model() == null ? Optional.empty() : context.capabilityOf(fields.model());
            return other.isPresent()
                    ? refused(
                            request,
                            ErrorCode.WRONG_CAPABILITY,
                            "model '" + fields.model() + "' serves " + other.get() + ", not " + capability,
                            false,
                            requestContext)
                    : refused(
                            request,
                            ErrorCode.UNKNOWN_MODEL,
                            "unknown model '" + fields.model() + "'; this worker " + "serves "
                                    + Capabilities.manifestName(capability) + " models "
                                    + new TreeSet<>(models.keySet()),
                            false,
                            requestContext);
        }
        long deadline =
                fields.deadline() == null ? Long.MAX_VALUE : fields.deadline().toEpochMilli();
        if (deadline < now) {
            return refused(
                    request,
                    ErrorCode.EXPIRED,
                    "the request's deadline (" + deadline + " ms since epoch) had passed on arrival",
                    false,
                    requestContext);
        }
        Answer answer = new Answer(request, fields, requestContext);
        Prepared<T> prepared;
        try {
            prepared = prepare(request, model, deadline, requestContext, answer::early);
        } catch (ClosedTokenizerException e) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(fields.model()));
        }
        if (prepared instanceof Prepared.Refuse<T> refuse) {
            return refused(request, refuse.code(), refuse.message(), refuse.retryable(), requestContext);
        }
        List<T> tasks = ((Prepared.Submit<T>) prepared).tasks();
        answer.expect(tasks);
        try {
            pool.submitAll(
                    fields.model(), tasks, RequestPriorities.poolClass(fields), answer); // bulk yields to interactive
        } catch (PoolRejectedException e) {
            PoolError pe = e.error();
            if (pe instanceof PoolError.ShuttingDown || pe instanceof PoolError.Overloaded) {
                throw e;
            }
            return refused(request, PoolErrors.code(pe), e.getMessage(), PoolErrors.retryable(pe), requestContext);
        }
        return answer.future;
    }

    @Override
    public final Outcome errorResult(
            SpecificRecord request, ErrorCode code, String message, boolean retryable, RequestContext requestContext) {
        Q q = cast(request);
        return errorOutcome(q, fields(q), new ResultError(code, message, retryable), 0L, 0L, requestContext);
    }

    /** Submit one task. */
    protected static <T> Prepared<T> submit(T task) {
        return new Prepared.Submit<>(List.of(task));
    }

    /** Submit these tasks, all or none. */
    protected static <T> Prepared<T> submit(List<T> tasks) {
        return new Prepared.Submit<>(tasks);
    }

    /** Refuse with a non-retryable error: the request itself is at fault. */
    protected static <T> Prepared<T> refuse(ErrorCode code, String message) {
        return new Prepared.Refuse<>(code, message, false);
    }

    protected static <T> Prepared<T> refuse(ErrorCode code, String message, boolean retryable) {
        return new Prepared.Refuse<>(code, message, retryable);
    }

    /**
     * INVALID_REQUEST for input the tokenizer could not encode; rethrows a {@link ClosedTokenizerException}, so the
     * request is refused as during shutdown instead.
     */
    protected static <T> Prepared<T> untokenisable(RuntimeException e, String what) {
        if (e instanceof ClosedTokenizerException closed) {
            throw closed;
        }
        return refuse(ErrorCode.INVALID_REQUEST, what + " could not be tokenised: " + e.getMessage());
    }

    protected static Verdict fails(ErrorCode code, String message) {
        return new Verdict.Fails(code, message, false);
    }

    /** The verdict of a task whose deadline passed before it ran. */
    protected static Verdict expired(long deadlineEpochMs, String before) {
        return fails(
                ErrorCode.EXPIRED, "the request's deadline (" + deadlineEpochMs + " ms since epoch) passed " + before);
    }

    private CompletableFuture<Outcome> refused(
            Q request, ErrorCode code, String message, boolean retryable, RequestContext requestContext) {
        return CompletableFuture.completedFuture(errorOutcome(
                request, fields(request), new ResultError(code, message, retryable), 0L, 0L, requestContext));
    }

    private Outcome errorOutcome(
            Q request,
            RequestFields fields,
            ResultError error,
            long queuedMs,
            long inferenceMs,
            RequestContext requestContext) {
        R record = error(request, error, new Timings(queuedMs, inferenceMs, 0L), requestContext);
        return outcome(record, fields, ResultStatus.ERROR, error.getCode(), queuedMs, inferenceMs);
    }

    private Outcome outcome(
            R record, RequestFields fields, ResultStatus status, ErrorCode code, long queuedMs, long inferenceMs) {
        return Outcome.of(
                record,
                new Outcome.Envelope(fields.id(), fields.jobId(), fields.model(), status, code, queuedMs, inferenceMs),
                this::stamp);
    }

    private Q cast(SpecificRecord record) {
        if (requestClass.isInstance(record)) {
            return requestClass.cast(record);
        }
        throw new IllegalArgumentException(
                Capabilities.manifestName(capability) + " expects " + requestClass.getSimpleName() + ", got "
                        + (record == null ? "null" : record.getClass().getName()));
    }

    /**
     * Collects the outcomes of one request's tasks into its single result: OK when the last task is done, ERROR at
     * the first task that fails (later outcomes are dropped). Each index is settled once (by {@link #early} or by the
     * pool, whichever comes first), and the countdown's atomic decrement publishes the settled outcomes to the thread
     * that builds the result.
     */
    private final class Answer implements TaskListener<O> {

        private final Q request;
        private final RequestFields fields;
        private final RequestContext requestContext;
        private final long submittedNanos = System.nanoTime();
        private final CompletableFuture<Outcome> future = new CompletableFuture<>();
        private final AtomicBoolean finished = new AtomicBoolean();
        private List<T> tasks = List.of();
        private AtomicReferenceArray<Object> outcomes = new AtomicReferenceArray<>(0);
        private AtomicInteger remaining = new AtomicInteger();
        private long firstSubmitNanos = Long.MAX_VALUE;
        private long firstStartNanos = Long.MAX_VALUE;
        private long lastFinishNanos = Long.MIN_VALUE;

        Answer(Q request, RequestFields fields, RequestContext requestContext) {
            this.request = request;
            this.fields = fields;
            this.requestContext = requestContext;
        }

        /** Called before submission, on the submitting thread; the pool's hand-off publishes it to the workers. */
        void expect(List<T> submitted) {
            tasks = submitted;
            outcomes = new AtomicReferenceArray<>(submitted.size());
            remaining = new AtomicInteger(submitted.size());
        }

        /** Names the request in the pool's logs. */
        @Override
        public String toString() {
            return "request '" + fields.id() + "' (job '" + fields.jobId() + "')";
        }

        void early(int index, O outcome, long startedNanos) {
            settle(index, outcome, new TaskTiming(submittedNanos, startedNanos, System.nanoTime(), 1));
        }

        @Override
        public void completed(int index, O output, TaskTiming timing) {
            settle(index, output, timing);
        }

        @Override
        public void failed(int index, Throwable cause, TaskTiming timing) {
            if (!outcomes.compareAndSet(index, null, cause)) {
                return;
            }
            if (cause instanceof PoolRejectedException rejected) {
                fail(
                        new ResultError(
                                PoolErrors.code(rejected.error()),
                                rejected.getMessage(),
                                PoolErrors.retryable(rejected.error())),
                        0L,
                        0L);
            } else {
                fail(new ResultError(ErrorCode.INFERENCE_FAILED, failureMessage(index, cause), false), 0L, 0L);
            }
        }

        private void settle(int index, O output, TaskTiming timing) {
            if (finished.get() || !outcomes.compareAndSet(index, null, output)) {
                return;
            }
            Verdict verdict = verdict(index, output);
            if (verdict instanceof Verdict.CutByShutdown cut) {
                abandon(cut);
                return;
            }
            observe(timing);
            if (verdict instanceof Verdict.Fails f) {
                fail(
                        new ResultError(f.code(), f.message(), f.retryable()),
                        millis(timing.queuedNanos()),
                        millis(timing.runNanos()));
            } else if (remaining.decrementAndGet() == 0 && finished.compareAndSet(false, true)) {
                future.complete(okOutcome());
            }
        }

        private void abandon(Verdict.CutByShutdown cut) {
            if (finished.compareAndSet(false, true)) {
                future.completeExceptionally(new AbandonedAtShutdownException(
                        "the " + cut.work() + " of " + this + " was cut at the shutdown grace after " + cut.after()));
            }
        }

        private void fail(ResultError error, long queuedMs, long inferenceMs) {
            if (finished.compareAndSet(false, true)) {
                future.complete(errorOutcome(request, fields, error, queuedMs, inferenceMs, requestContext));
            }
        }

        private synchronized void observe(TaskTiming timing) {
            firstSubmitNanos = Math.min(firstSubmitNanos, timing.submittedNanos());
            firstStartNanos = Math.min(firstStartNanos, timing.startedNanos());
            lastFinishNanos = Math.max(lastFinishNanos, timing.finishedNanos());
        }

        @SuppressWarnings("unchecked")
        private Outcome okOutcome() {
            List<O> outputs = new ArrayList<>(outcomes.length());
            for (int i = 0; i < outcomes.length(); i++) {
                outputs.add((O) outcomes.get(i));
            }
            long queuedMs;
            long inferenceMs;
            synchronized (this) {
                queuedMs = millis(firstStartNanos - firstSubmitNanos);
                inferenceMs = millis(lastFinishNanos - firstStartNanos);
            }
            R record = ok(request, tasks, outputs, new Timings(queuedMs, inferenceMs, 0L), requestContext);
            return outcome(record, fields, ResultStatus.OK, null, queuedMs, inferenceMs);
        }
    }

    private static long millis(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }
}
