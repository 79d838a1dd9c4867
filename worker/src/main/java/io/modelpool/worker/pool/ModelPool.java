package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pool of models of one kind (one per capability), keyed by model key. Each model has a bounded queue and
 * its own worker threads; each worker owns one {@link BatchRunner} and takes length-sorted batches from the
 * queue (see {@link Batcher} and {@link PoolModelConfig}).
 *
 * <p>Tasks are opaque: the pool knows only their length ({@code lengthOf}), which it uses for sorting and
 * for the batch token budget, and their cost ({@code costOf}), a number in the capability's own units from which
 * each model learns its seconds per unit, so that work queued and running can be told in seconds
 * ({@link #estimatedSeconds(String)}, {@link #estimatedSecondsInFlight()}, {@link #estimateSeconds}).
 *
 * <p>Models load lazily: {@link #addModel} only registers one; its first submission (or {@link #load},
 * {@link #awaitLoaded}) starts its workers, which open their runners on their own threads while submitted tasks
 * wait in its queue. A load that fails on every worker fails the waiting tasks with {@link PoolError.ModelLoadFailed}
 * and refuses submissions the same way until a retry backoff has passed ({@link #loadRetryBackoff}); the first
 * submission after it loads again. A {@link PoolMaintenance} may scale a model's workers, unload idle models and keep
 * the loaded ones within a memory budget, following each model's {@link MaintenancePolicy}.
 *
 * <p>Threading: every method is thread-safe. {@code submit} never blocks on inference or on model loading:
 * it queues or fails fast. Outcomes are delivered on worker threads (see {@link TaskListener}).
 *
 * <p>Shutdown: after {@link #beginShutdown()} every submission fails with {@link PoolError.ShuttingDown};
 * queued and running tasks still run to completion. {@link #awaitDrained(Duration)} waits for them,
 * {@link #abandon()} fails what is left, {@link #close(Duration)} stops the workers within a budget, terminating
 * runs that were abandoned, and each worker closes its runner.
 */
public final class ModelPool<I, O> implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelPool.class);
    /** The budget of {@link #close()}. */
    public static final Duration DEFAULT_CLOSE_BUDGET = Duration.ofSeconds(10);
    /** At most this much of a close budget is kept for terminated runs to return and their runners to close. */
    public static final Duration TERMINATE_RESERVE = Duration.ofSeconds(1);

    private final String name;
    private final ToIntFunction<? super I> lengthOf;
    private final ToLongFunction<? super I> costOf;
    private final LongSupplier nanoClock;
    private final Map<String, ModelLane<I, O>> lanes = new ConcurrentHashMap<>();
    private final Object lifecycle = new Object();
    private final ReentrantLock drainLock = new ReentrantLock();
    private final Condition idle = drainLock.newCondition();
    private volatile boolean shuttingDown;
    private volatile boolean closed;
    private volatile boolean closedClean;
    private final RecentMean submissionSeconds = new RecentMean();
    private volatile BatchObserver batchObserver = BatchObserver.NONE;
    private volatile LoadObserver loadObserver = LoadObserver.NONE;
    private volatile MemoryBudget budget;
    private volatile long loadRetryFirstNanos = Duration.ofSeconds(1).toNanos();
    private volatile long loadRetryMaxNanos = Duration.ofMinutes(1).toNanos();

    /**
     * A pool whose task cost is the task's length; see {@link #ModelPool(String, ToIntFunction, ToLongFunction)}.
     */
    public ModelPool(String name, ToIntFunction<? super I> lengthOf) {
        this(name, lengthOf, lengthOf::applyAsInt);
    }

    /**
     * @param name     a label for thread names and logs (for example a capability name)
     * @param lengthOf a task's length for sorting and the token budget (for example its token count)
     * @param costOf   a task's cost, in whatever unit its capability knows (tokens, pixels, steps times area), at
     *                 least 1 (smaller values count as 1): each model learns its seconds per unit from its completed
     *                 batches, and the pool turns work queued and running into seconds with it
     *                 ({@link #estimatedSeconds(String)}). Only ratios within one model matter, so the unit needs
     *                 no calibration.
     */
    public ModelPool(String name, ToIntFunction<? super I> lengthOf, ToLongFunction<? super I> costOf) {
        this(name, lengthOf, costOf, System::nanoTime);
    }

    /** As above, with the clock that times batch runs for the learned rate (a test clock in tests). */
    ModelPool(
            String name, ToIntFunction<? super I> lengthOf, ToLongFunction<? super I> costOf, LongSupplier nanoClock) {
        this.name = Objects.requireNonNull(name, "name");
        this.lengthOf = Objects.requireNonNull(lengthOf, "lengthOf");
        this.costOf = Objects.requireNonNull(costOf, "costOf");
        this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
        MemoryBudget own = new MemoryBudget(Long.MAX_VALUE);
        own.cover(this);
        this.budget = own;
    }

    public String name() {
        return name;
    }

    /**
     * Registers a model, {@link ModelState#UNLOADED}: its workers start on its first submission (or {@link #load})
     * and open their runners on their own threads, so neither this nor a submission waits for a load. Its
     * {@link MaintenancePolicy} is {@link MaintenancePolicy#fixed} with the config's workers until
     * {@link #setPolicy} changes it.
     *
     * @throws IllegalArgumentException when the key is already registered
     * @throws IllegalStateException    after {@link #close()}
     */
    public void addModel(String key, PoolModelConfig config, RunnerFactory<I, O> runners) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(runners, "runners");
        ModelLane<I, O> lane = new ModelLane<>(name, key, config, runners, this);
        synchronized (lifecycle) {
            if (closed) {
                throw new IllegalStateException("pool '" + name + "' is closed");
            }
            if (lanes.containsKey(key)) {
                throw new IllegalArgumentException("model '" + key + "' is already registered in pool '" + name + "'");
            }
            lanes.put(key, lane);
        }
        if (shuttingDown) {
            lane.refuseNew();
        }
        LOG.info("Pool '{}' registered model '{}' (loads on first use): {}", name, key, config);
    }

    /**
     * Sets how {@link PoolMaintenance} scales, unloads and budgets the model. Takes effect on the next maintenance
     * pass and the next load; call it before the model is used, so the memory budget counts it right.
     *
     * @throws PoolRejectedException with {@link PoolError.UnknownModel} when the key is not registered
     */
    public void setPolicy(String key, MaintenancePolicy policy) throws PoolRejectedException {
        lane(key).policy(Objects.requireNonNull(policy, "policy"));
    }

    /** The model's maintenance policy. */
    public MaintenancePolicy policy(String key) throws PoolRejectedException {
        return lane(key).policy();
    }

    /**
     * Starts loading the model if it is unloaded (or failed, with its retry backoff passed) and returns at once; for
     * warm-up at start-up. Does nothing after {@link #beginShutdown()}.
     */
    public void load(String key) throws PoolRejectedException {
        lane(key).load();
    }

    /** Workers of the model that are opening or holding a runner; 0 while unloaded. */
    public int workers(String key) throws PoolRejectedException {
        return lane(key).workers();
    }

    /**
     * The model's estimated memory: its workers, including those still closing their runners, times its policy's
     * {@code bytesPerWorker}.
     */
    public long residentBytes(String key) throws PoolRejectedException {
        return lane(key).reservedBytes();
    }

    /**
     * Sets the backoff after a failed load: submissions fail with {@link PoolError.ModelLoadFailed} for
     * {@code first} after the first failure, doubling with each further failure up to {@code max}; a successful load
     * resets it. Defaults: 1 s and 1 min.
     */
    public void loadRetryBackoff(Duration first, Duration max) {
        if (first.isNegative() || first.isZero() || max.compareTo(first) < 0) {
            throw new IllegalArgumentException(
                    "load retry backoff " + first + " .. " + max + " is invalid; allowed: 0 < first <= max");
        }
        this.loadRetryFirstNanos = first.toNanos();
        this.loadRetryMaxNanos = max.toNanos();
    }

    /**
     * Reports every load, load failure and unload of every model, present and future, to {@code observer} (replacing
     * the previous one); see {@link LoadObserver} for the thread it is called on.
     */
    public void observeLoads(LoadObserver observer) {
        this.loadObserver = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Reports every batch run of every model, present and future, to {@code observer} (replacing the previous
     * one); see {@link BatchObserver} for the thread it is called on.
     */
    public void observeBatches(BatchObserver observer) {
        this.batchObserver = Objects.requireNonNull(observer, "observer");
    }

    /** The registered model keys. */
    public Set<String> models() {
        return Set.copyOf(lanes.keySet());
    }

    public boolean hasModel(String key) {
        return lanes.containsKey(key);
    }

    /** The model's load state; {@link PoolRejectedException} with {@link PoolError.UnknownModel} if unknown. */
    public ModelState state(String key) throws PoolRejectedException {
        return lane(key).state();
    }

    /**
     * Starts loading the model if it is unloaded (see {@link #load}), then waits up to {@code timeout} for it to
     * leave {@link ModelState#LOADING} and returns its state.
     */
    public ModelState awaitLoaded(String key, Duration timeout) throws PoolRejectedException, InterruptedException {
        return lane(key).awaitLoaded(timeout);
    }

    /**
     * Queues every input as one task, all or none, and reports each outcome to {@code listener} with the
     * input's index in {@code inputs}. The tasks carry the {@link Withdrawal} in scope on the calling thread
     * ({@link Withdrawals#during}), if any: a task withdrawn before its batch runs fails with
     * {@link PoolError.Withdrawn} and is not run.
     *
     * @throws PoolRejectedException nothing was queued: {@link PoolError.UnknownModel},
     *                               {@link PoolError.ModelLoadFailed}, {@link PoolError.ShuttingDown}, or
     *                               {@link PoolError.Overloaded} when the queue lacks room for all of them
     */
    public void submitAll(String key, List<? extends I> inputs, TaskListener<? super O> listener)
            throws PoolRejectedException {
        submitAll(key, inputs, 0, listener);
    }

    /**
     * {@link #submitAll(String, List, TaskListener)} in priority class {@code priority}: the model's queue serves
     * class 0 first, then 1, with aging and a minimum share for the later classes ({@link PriorityPolicy#DEFAULT}).
     * The pool gives the class no meaning beyond that order.
     *
     * @throws IllegalArgumentException when {@code priority} is not a class of the policy
     */
    public void submitAll(String key, List<? extends I> inputs, int priority, TaskListener<? super O> listener)
            throws PoolRejectedException {
        Objects.requireNonNull(listener, "listener");
        if (priority < 0 || priority >= PriorityPolicy.DEFAULT.classes()) {
            throw new IllegalArgumentException(
                    "priority class " + priority + " is out of range 0.." + (PriorityPolicy.DEFAULT.classes() - 1));
        }
        ModelLane<I, O> lane = admit(key);
        long now = System.nanoTime();
        Withdrawal withdrawal = Withdrawals.current();
        List<PoolTask<I, O>> tasks = new ArrayList<>(inputs.size());
        long cost = 0;
        for (int i = 0; i < inputs.size(); i++) {
            I input = inputs.get(i);
            PoolTask<I, O> task = new PoolTask<>(
                    input, lengthOf.applyAsInt(input), costOf(input), i, now, priority, listener, lane, withdrawal);
            cost += task.cost;
            tasks.add(task);
        }
        lane.offer(tasks);
        submissionSeconds.observe(lane.secondsFor(cost));
    }

    /** Queues one task, reported to {@code listener} with index 0; see {@link #submitAll}. */
    public void submit(String key, I input, TaskListener<? super O> listener) throws PoolRejectedException {
        submitAll(key, List.of(input), listener);
    }

    /**
     * Queues one task and returns a future that completes on a worker thread with its output, or
     * exceptionally with the runner's exception or a {@link PoolRejectedException}; see {@link #submitAll}.
     */
    public CompletableFuture<Completed<O>> submit(String key, I input) throws PoolRejectedException {
        CompletableFuture<Completed<O>> future = new CompletableFuture<>();
        submit(key, input, new TaskListener<O>() {
            @Override
            public void completed(int index, O output, TaskTiming timing) {
                future.complete(new Completed<>(output, timing));
            }

            @Override
            public void failed(int index, Throwable cause, TaskTiming timing) {
                future.completeExceptionally(cause);
            }
        });
        return future;
    }

    /**
     * The model's learned speed: seconds of one worker's time per unit of task cost, from its completed batches (the
     * mean of the first few, then a moving average; see {@code CostRate}); {@link Double#NaN} until one completed.
     */
    public double secondsPerCostUnit(String key) throws PoolRejectedException {
        return lane(key).secondsPerCostUnit();
    }

    /**
     * The estimated seconds of work the model has queued and running: the summed cost of its unfinished tasks times
     * its learned rate, divided by its workers (they share the work). 0 with nothing queued or running;
     * {@link Double#POSITIVE_INFINITY} with work while the rate is unknown, so that admission by work is
     * conservative, one task at a time, until the model has completed a batch. 0 for an unknown key.
     */
    public double estimatedSeconds(String key) {
        ModelLane<I, O> lane = lanes.get(key);
        return lane == null ? 0 : lane.secondsFor(lane.outstandingCost());
    }

    /** {@link #estimatedSeconds(String)} summed over every model: the pool's work in flight, in seconds. */
    public double estimatedSecondsInFlight() {
        double sum = 0;
        for (ModelLane<I, O> lane : lanesSnapshot()) {
            sum += lane.secondsFor(lane.outstandingCost());
        }
        return sum;
    }

    /**
     * The seconds of work {@code inputs} would add to the model's estimate if submitted now: their summed cost times
     * the learned rate, divided by the model's workers; {@link Double#POSITIVE_INFINITY} while the rate is unknown.
     * Called before a submission, on any thread; it submits nothing.
     */
    public double estimateSeconds(String key, List<? extends I> inputs) throws PoolRejectedException {
        ModelLane<I, O> lane = lane(key);
        long cost = 0;
        for (I input : inputs) {
            cost += costOf(input);
        }
        return lane.secondsFor(cost);
    }

    /**
     * The recent mean of the seconds of work one submission (one {@code submit} or {@code submitAll}, typically one
     * request) brought, at its model's learned rate and shared by its workers, over every model of the pool; NaN
     * until a submission arrived for a model whose rate was known. Times a count of requests not yet submitted (a
     * consumer lag), it estimates the seconds that backlog will take.
     */
    public double recentSecondsPerSubmission() {
        return submissionSeconds.mean();
    }

    /** The summed cost of the model's queued and running tasks, in its capability's units. */
    public long outstandingCost(String key) {
        ModelLane<I, O> lane = lanes.get(key);
        return lane == null ? 0 : lane.outstandingCost();
    }

    private long costOf(I input) {
        return Math.max(1, costOf.applyAsLong(input));
    }

    /**
     * From now on every submission fails with {@link PoolError.ShuttingDown}; queued work still runs, on the workers
     * the models have. No worker starts from now on: a model still waiting for room in the memory budget fails its
     * queued tasks with {@link PoolError.ShuttingDown} at once, and maintenance neither scales nor unloads this pool's
     * models while they drain.
     */
    public void beginShutdown() {
        if (!shuttingDown) {
            shuttingDown = true;
            for (ModelLane<I, O> lane : lanesSnapshot()) {
                lane.refuseNew();
            }
            LOG.info("Pool '{}' is shutting down with {} tasks pending", name, pending());
            signalIfIdle();
        }
    }

    public boolean isShuttingDown() {
        return shuttingDown;
    }

    /** Tasks queued or running, across all models. */
    public int pending() {
        int sum = 0;
        for (ModelLane<I, O> lane : lanesSnapshot()) {
            sum += lane.pending();
        }
        return sum;
    }

    /** Tasks of priority class {@code priority} queued (not yet taken by a worker), across all models. */
    public int queued(int priority) {
        int sum = 0;
        for (ModelLane<I, O> lane : lanesSnapshot()) {
            sum += lane.queued(priority);
        }
        return sum;
    }

    /** Tasks queued or running for one model; 0 for an unknown key. */
    public int pending(String key) {
        ModelLane<I, O> lane = lanes.get(key);
        return lane == null ? 0 : lane.pending();
    }

    /** Per worker of the model, the tasks it has taken and not yet finished. */
    public List<Integer> workerPending(String key) throws PoolRejectedException {
        return lane(key).workerPending();
    }

    /**
     * Waits until no task is queued or running, at most {@code timeout}. Returns true when drained; false on
     * timeout or when the calling thread is interrupted (its interrupt flag is then set again).
     */
    public boolean awaitDrained(Duration timeout) {
        long left = timeout.toNanos();
        drainLock.lock();
        try {
            while (pending() > 0) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } finally {
            drainLock.unlock();
        }
    }

    /**
     * Fails every queued task and every task a worker holds but has not finished, with
     * {@link PoolError.ShuttingDown}; returns how many tasks it failed. Runs that are under way finish on
     * their worker, but their outputs are dropped. Meant for after a drain timed out.
     */
    public int abandon() {
        int count = 0;
        for (ModelLane<I, O> lane : lanesSnapshot()) {
            count += lane.abandon();
        }
        if (count > 0) {
            LOG.warn("Pool '{}' abandoned {} unfinished tasks", name, count);
        }
        return count;
    }

    /** Closes within {@link #DEFAULT_CLOSE_BUDGET}; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(DEFAULT_CLOSE_BUDGET);
    }

    /**
     * Begins shutdown if not yet begun, fails whatever is still queued and stops the workers, all within
     * {@code budget} in total, however many models there are. Each worker closes its runner on its own thread once
     * its batch is over:
     * <ol>
     *   <li>workers whose batch was given up on already ({@link #abandon()}) have their run terminated at once
     *       ({@link BatchRunner#terminate()}) and are not joined: nobody waits for their outputs, and a native run
     *       may take a while to honour the termination, so they close their runners on their own threads;</li>
     *   <li>other running batches may finish until the budget, less a reserve of half of it and at most
     *       {@link #TERMINATE_RESERVE}, is spent;</li>
     *   <li>then their tasks fail with {@link PoolError.ShuttingDown}, their runs are terminated, their workers
     *       interrupted, and the reserve is spent waiting for them to end.</li>
     * </ol>
     * A worker still running when the budget ends is left behind (its thread is a daemon, so it never holds the
     * process up) and logged. Idempotent: a later call returns at once, with the first one's answer once that is known
     * (false while the first still closes).
     *
     * @return true when every worker ended and closed its runner within the budget (false while an abandoned run,
     *         not waited for, still runs)
     */
    public boolean close(Duration budget) {
        long started = System.nanoTime();
        long deadline = started + Math.max(0, budget.toNanos());
        synchronized (lifecycle) {
            if (closed) {
                return closedClean;
            }
            closed = true;
        }
        beginShutdown();
        List<ModelLane<I, O>> all = lanesSnapshot();
        int[] failed = new int[all.size()];
        for (int i = 0; i < all.size(); i++) {
            failed[i] += all.get(i).beginClose();
        }
        long reserve = Math.min(Math.max(0, budget.toNanos()) / 2, TERMINATE_RESERVE.toNanos());
        int alive;
        try {
            alive = awaitWorkersEnded(all, deadline - reserve);
            if (alive > 0) {
                for (int i = 0; i < all.size(); i++) {
                    failed[i] += all.get(i).abandonRunning();
                }
                alive = awaitWorkersEnded(all, deadline);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Interrupted while closing pool '{}'; its workers are told to stop but not waited for", name);
            for (int i = 0; i < all.size(); i++) {
                failed[i] += all.get(i).abandonRunning();
            }
            alive = -1;
        }
        int stillEnding = 0;
        for (int i = 0; i < all.size(); i++) {
            ModelLane<I, O> lane = all.get(i);
            if (failed[i] > 0) {
                LOG.warn("Pool '{}' failed {} unfinished tasks of model '{}' on close", name, failed[i], lane.key());
            }
            List<String> left = lane.liveWorkerNames();
            if (!left.isEmpty()) {
                LOG.warn(
                        "Pool '{}' left {} workers of model '{}' running after its close budget of {} ms: {}; their"
                                + " runs did not stop when terminated",
                        name,
                        left.size(),
                        lane.key(),
                        budget.toMillis(),
                        left);
            }
            List<String> abandoned = lane.abandonedWorkerNames();
            if (!abandoned.isEmpty()) {
                LOG.info(
                        "Pool '{}' did not wait for {} workers of model '{}' whose abandoned runs it terminated: {}",
                        name,
                        abandoned.size(),
                        lane.key(),
                        abandoned);
                stillEnding += abandoned.size();
            }
            lane.markClosed();
        }
        closedClean = alive == 0 && stillEnding == 0;
        LOG.info(
                "Pool '{}' closed in {} ms{}",
                name,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                alive != 0 ? " (workers left running)" : stillEnding > 0 ? " (terminated runs still ending)" : "");
        return closedClean;
    }

    private static int awaitWorkersEnded(List<? extends ModelLane<?, ?>> lanes, long deadlineNanos)
            throws InterruptedException {
        int alive = 0;
        for (ModelLane<?, ?> lane : lanes) {
            alive += lane.awaitWorkersEnded(deadlineNanos);
        }
        return alive;
    }

    private ModelLane<I, O> admit(String key) throws PoolRejectedException {
        ModelLane<I, O> lane = lane(key);
        if (shuttingDown) {
            throw new PoolRejectedException(new PoolError.ShuttingDown(key));
        }
        return lane;
    }

    private ModelLane<I, O> lane(String key) throws PoolRejectedException {
        ModelLane<I, O> lane = lanes.get(key);
        if (lane == null) {
            throw new PoolRejectedException(new PoolError.UnknownModel(String.valueOf(key)));
        }
        return lane;
    }

    List<ModelLane<I, O>> lanesSnapshot() {
        return new ArrayList<>(lanes.values());
    }

    LongSupplier nanoClock() {
        return nanoClock;
    }

    BatchObserver batchObserver() {
        return batchObserver;
    }

    LoadObserver loadObserver() {
        return loadObserver;
    }

    /** Puts this pool's models under {@code shared}, a budget several pools share (see {@link PoolMaintenance}). */
    void useBudget(MemoryBudget shared) {
        shared.cover(this);
        this.budget = shared;
    }

    long loadRetryBackoffNanos(int failures) {
        long backoff = loadRetryFirstNanos;
        for (int i = 1; i < failures && backoff < loadRetryMaxNanos; i++) {
            backoff *= 2;
        }
        return Math.min(backoff, loadRetryMaxNanos);
    }

    /** A lane asked for a load; called without the lane's lock. */
    void loadWanted(ModelLane<I, O> lane) {
        budget.admitLoad(lane);
    }

    /** A worker of a lane ended and its runner is closed: room may have come free. */
    void workerEnded(ModelLane<I, O> lane) {
        budget.admitWaiting();
    }

    void signalIfIdle() {
        drainLock.lock();
        try {
            idle.signalAll();
        } finally {
            drainLock.unlock();
        }
    }
}
