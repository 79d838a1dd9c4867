package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model inside a pool: its queue, its worker threads (each owning a runner and a pending counter), its load
 * state, its count of unfinished tasks, and what maintenance needs to know: when it was last used, how many workers
 * it runs and what they are estimated to hold.
 *
 * <p>Loading is lazy: the lane starts {@link ModelState#UNLOADED}; the first submission (or {@link #load()}) makes it
 * {@link ModelState#LOADING} and asks the pool's memory budget to start its workers, which open their runners on
 * their own threads while the tasks wait in the queue. A load that fails on every worker fails the queued tasks with
 * {@link PoolError.ModelLoadFailed} and refuses submissions the same way until the pool's retry backoff has passed,
 * so a broken model costs one load attempt per backoff, never one per task.
 *
 * <p>Locking: {@code lock} guards the state, the worker list and the load bookkeeping; counters that maintenance
 * reads without it are volatile. It is never held while calling into the pool (its memory budget takes its own lock
 * first and then this one), into observers or into task listeners.
 */
final class ModelLane<I, O> {

    private static final Logger LOG = LoggerFactory.getLogger(ModelLane.class);

    private final String poolName;
    private final String key;
    private final PoolModelConfig config;
    private final RunnerFactory<I, O> runners;
    private final ModelPool<I, O> pool;
    private final ModelQueue<I, O> queue;
    private final AtomicInteger outstanding = new AtomicInteger();
    /** The summed cost of the tasks queued or running. */
    private final AtomicLong outstandingCost = new AtomicLong();

    private final CostRate rate = new CostRate();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition settled = lock.newCondition();
    /** Every worker whose thread has not ended, retired ones included. */
    private final List<Worker> workers = new ArrayList<>();

    private final BitSet slots = new BitSet();
    private volatile ModelState state = ModelState.UNLOADED;
    private volatile MaintenancePolicy policy;
    private volatile long lastUsedNanos = System.nanoTime();
    /** Workers not retired: opening or open. */
    private volatile int activeWorkers;
    /** Active workers still opening their runner. */
    private volatile int openingWorkers;
    /** Retired workers whose thread has not ended yet (their runner is still open). */
    private volatile int retiringWorkers;

    private volatile long spawnAllowedAtNanos = System.nanoTime();
    private boolean shuttingDown;
    private long loadStartedNanos;
    private int loadFailures;
    private long retryAtNanos;
    private String loadError = "";

    ModelLane(String poolName, String key, PoolModelConfig config, RunnerFactory<I, O> runners, ModelPool<I, O> pool) {
        this.poolName = poolName;
        this.key = key;
        this.config = config;
        this.runners = runners;
        this.pool = pool;
        this.policy = MaintenancePolicy.fixed(config.workers());
        this.queue = new ModelQueue<>(key, config.queueCapacity());
    }

    String key() {
        return key;
    }

    String poolName() {
        return poolName;
    }

    PoolModelConfig config() {
        return config;
    }

    ModelState state() {
        return state;
    }

    MaintenancePolicy policy() {
        return policy;
    }

    void policy(MaintenancePolicy newPolicy) {
        this.policy = newPolicy;
    }

    boolean poolShuttingDown() {
        return pool.isShuttingDown();
    }

    /** Workers a load starts: the configured count, within the policy's bounds. */
    int initialWorkers() {
        MaintenancePolicy p = policy;
        return Math.max(p.minWorkers(), Math.min(p.maxWorkers(), config.workers()));
    }

    /** Workers not retired (opening or open). */
    int workers() {
        return activeWorkers;
    }

    /** Estimated memory of every worker whose thread has not ended, retiring ones included. */
    long reservedBytes() {
        return policy.bytesFor(activeWorkers + retiringWorkers);
    }

    /** Estimated memory of retired workers that are closing their runners: room that is about to come free. */
    long retiringBytes() {
        return policy.bytesFor(retiringWorkers);
    }

    /** When the lane last had a task submitted or finished. */
    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** How long the lane has had nothing queued or running; 0 while it has. */
    long idleNanos(long now) {
        return outstanding.get() == 0 ? Math.max(0, now - lastUsedNanos) : 0;
    }

    /** A load was asked for and no worker has been started for it yet: it waits for room in the budget. */
    boolean awaitsRoom() {
        return state == ModelState.LOADING && activeWorkers == 0 && !poolShuttingDown();
    }

    /** Ready, loaded and with nothing queued or running: it may be unloaded. */
    boolean unloadable() {
        return state == ModelState.READY && outstanding.get() == 0 && !poolShuttingDown();
    }

    void offer(List<PoolTask<I, O>> tasks) throws PoolRejectedException {
        boolean load;
        lock.lock();
        try {
            long now = System.nanoTime();
            if (state == ModelState.FAILED && !shuttingDown && now - retryAtNanos < 0) {
                throw new PoolRejectedException(new PoolError.ModelLoadFailed(key, loadError));
            }
            long cost = 0;
            for (PoolTask<I, O> t : tasks) {
                cost += t.cost;
            }
            outstanding.addAndGet(tasks.size());
            outstandingCost.addAndGet(cost);
            try {
                queue.offerAll(tasks);
            } catch (PoolRejectedException e) {
                outstandingCost.addAndGet(-cost);
                if (outstanding.addAndGet(-tasks.size()) == 0) {
                    pool.signalIfIdle();
                }
                throw e;
            }
            lastUsedNanos = now;
            load = beginLoadLocked(now);
        } finally {
            lock.unlock();
        }
        if (load) {
            pool.loadWanted(this);
        }
    }

    /** Asks for a load unless the model is loaded, loading, or failed with its retry time still ahead. */
    void load() {
        boolean load;
        lock.lock();
        try {
            long now = System.nanoTime();
            load = !(state == ModelState.FAILED && now - retryAtNanos < 0) && beginLoadLocked(now);
        } finally {
            lock.unlock();
        }
        if (load) {
            pool.loadWanted(this);
        }
    }

    private boolean beginLoadLocked(long now) {
        if (shuttingDown || (state != ModelState.UNLOADED && state != ModelState.FAILED)) {
            return false;
        }
        state = ModelState.LOADING;
        loadStartedNanos = now;
        lastUsedNanos = now;
        return true;
    }

    void taskFinished(long cost) {
        lastUsedNanos = System.nanoTime();
        outstandingCost.addAndGet(-cost);
        if (outstanding.decrementAndGet() == 0) {
            pool.signalIfIdle();
        }
    }

    /** The summed cost of the tasks queued or running. */
    long outstandingCost() {
        return outstandingCost.get();
    }

    /** Seconds of one worker per cost unit, learned from completed batches; NaN until one completed. */
    double secondsPerCostUnit() {
        return rate.secondsPerUnit();
    }

    /** Workers the lane's work is shared by: its active workers, or those a load would start while it has none. */
    int parallelWorkers() {
        int active = activeWorkers;
        return Math.max(1, active > 0 ? active : initialWorkers());
    }

    /**
     * Seconds the lane's workers need for work of {@code cost}: cost times the learned rate, shared by its workers;
     * 0 for no work, {@link Double#POSITIVE_INFINITY} for some while the rate is unknown (see {@link CostRate}).
     */
    double secondsFor(long cost) {
        if (cost <= 0) {
            return 0;
        }
        double perUnit = rate.secondsPerUnit();
        return Double.isNaN(perUnit) ? Double.POSITIVE_INFINITY : cost * perUnit / parallelWorkers();
    }

    int pending() {
        return outstanding.get();
    }

    /** Tasks of priority class {@code priority} waiting in the queue. */
    int queued(int priority) {
        return queue.size(priority);
    }

    /** Per active worker, by worker index, the tasks it has taken and not yet finished. */
    List<Integer> workerPending() {
        List<Worker> active = new ArrayList<>();
        lock.lock();
        try {
            for (Worker w : workers) {
                if (!w.retired) {
                    active.add(w);
                }
            }
        } finally {
            lock.unlock();
        }
        active.sort(Comparator.comparingInt(w -> w.index));
        List<Integer> counts = new ArrayList<>(active.size());
        for (Worker w : active) {
            counts.add(w.pending());
        }
        return counts;
    }

    /**
     * Waits up to {@code timeout} for the model to leave {@link ModelState#LOADING}, asking for a load first if it is
     * unloaded, and returns its state.
     */
    ModelState awaitLoaded(Duration timeout) throws InterruptedException {
        load();
        long left = timeout.toNanos();
        lock.lockInterruptibly();
        try {
            while (state == ModelState.LOADING && left > 0) {
                left = settled.awaitNanos(left);
            }
            return state;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Starts {@code n} workers for a load that waits for them; called by the memory budget once their estimate
     * fits. Returns how many it started: none when the load no longer waits (or shutdown began).
     */
    int spawnForLoad(int n) {
        lock.lock();
        try {
            if (shuttingDown || state != ModelState.LOADING || activeWorkers > 0) {
                return 0;
            }
            startWorkersLocked(n);
            LOG.debug("Model '{}' in pool '{}' loading on {} workers", key, poolName, n);
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Starts one more worker of a ready model below its maximum; called by the memory budget once it fits. */
    boolean spawnOne() {
        lock.lock();
        try {
            if (shuttingDown || state != ModelState.READY || activeWorkers >= policy.maxWorkers()) {
                return false;
            }
            startWorkersLocked(1);
            LOG.debug(
                    "Model '{}' in pool '{}' scaled up to {} workers ({} tasks queued)",
                    key,
                    poolName,
                    activeWorkers,
                    queue.size());
            return true;
        } finally {
            lock.unlock();
        }
    }

    private void startWorkersLocked(int n) {
        for (int i = 0; i < n; i++) {
            int slot = slots.nextClearBit(0);
            slots.set(slot);
            Worker w = new Worker(slot);
            workers.add(w);
            activeWorkers++;
            openingWorkers++;
            Thread t = new Thread(w, "modelpool-" + poolName + "-" + key + "-" + slot);
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
    }

    /**
     * Whether work waits for a worker this ready model could add: no worker is still opening, it runs fewer than its
     * maximum, and its queue holds more tasks than its workers take at once or its oldest task has waited
     * {@code waitNanos}.
     */
    boolean wantsWorker(long now, long waitNanos) {
        if (state != ModelState.READY || poolShuttingDown() || openingWorkers > 0 || now - spawnAllowedAtNanos < 0) {
            return false;
        }
        int active = activeWorkers;
        if (active >= policy.maxWorkers()) {
            return false;
        }
        int queued = queue.size();
        if (queued == 0) {
            return false;
        }
        return queued > (long) active * config.maxBatchItems() || now - queue.oldestSubmittedNanos(now) >= waitNanos;
    }

    /**
     * Retires one open worker that has had nothing to do for {@code idleNanos}, if the model runs more than its
     * minimum; the worker closes its runner on its own thread. Returns whether one was retired.
     */
    boolean retireIdleWorker(long now, long idleNanos) {
        Worker retired = null;
        lock.lock();
        try {
            if (shuttingDown || state != ModelState.READY || activeWorkers <= policy.minWorkers()) {
                return false;
            }
            for (Worker w : workers) {
                if (!w.retired && w.open && w.held == null && now - w.lastActiveNanos >= idleNanos) {
                    retireLocked(w);
                    retired = w;
                    break;
                }
            }
        } finally {
            lock.unlock();
        }
        if (retired == null) {
            return false;
        }
        queue.wakeAll();
        LOG.debug(
                "Model '{}' in pool '{}' scaled down to {} workers (worker {} idle)",
                key,
                poolName,
                activeWorkers,
                retired.index);
        return true;
    }

    /**
     * Unloads the model if it is ready, has nothing queued or running and its pool is not shutting down: every
     * worker is retired and closes its runner on its own thread; the next submission loads it again. A model with
     * work in flight is never unloaded. Returns whether it was.
     */
    boolean unload(LoadObserver.UnloadReason reason) {
        lock.lock();
        try {
            if (shuttingDown || state != ModelState.READY || outstanding.get() > 0) {
                return false;
            }
            for (Worker w : workers) {
                if (!w.retired) {
                    retireLocked(w);
                }
            }
            state = ModelState.UNLOADED;
            settled.signalAll();
        } finally {
            lock.unlock();
        }
        queue.wakeAll();
        LOG.info(
                "Model '{}' in pool '{}' unloaded ({})",
                key,
                poolName,
                reason == LoadObserver.UnloadReason.IDLE ? "idle" : "room needed in the memory budget");
        try {
            pool.loadObserver().unloaded(key, reason);
        } catch (RuntimeException e) {
            LOG.warn("Load observer failed on the unload of model '{}'", key, e);
        }
        return true;
    }

    private void retireLocked(Worker w) {
        w.retired = true;
        activeWorkers--;
        retiringWorkers++;
        if (!w.open) {
            openingWorkers--;
        }
    }

    /** Fails a load that is waiting for room and can never get it; see {@link MemoryBudget}. */
    void failLoad(String reason) {
        List<PoolTask<I, O>> failed;
        long loadNanos;
        lock.lock();
        try {
            if (state != ModelState.LOADING || activeWorkers > 0) {
                return;
            }
            loadNanos = System.nanoTime() - loadStartedNanos;
            failed = markFailedLocked(reason);
        } finally {
            lock.unlock();
        }
        reportLoadFailure(reason, null, failed, loadNanos);
    }

    private List<PoolTask<I, O>> markFailedLocked(String reason) {
        long now = System.nanoTime();
        state = ModelState.FAILED;
        loadFailures++;
        retryAtNanos = now + pool.loadRetryBackoffNanos(loadFailures);
        loadError = reason;
        settled.signalAll();
        return queue.drain();
    }

    private void reportLoadFailure(String reason, Exception cause, List<PoolTask<I, O>> failed, long loadNanos) {
        PoolError error = new PoolError.ModelLoadFailed(key, reason);
        int count = 0;
        for (PoolTask<I, O> t : failed) {
            if (t.failNow(error)) {
                count++;
            }
        }
        LOG.error(
                "Model '{}' in pool '{}' failed to load ({}); {} queued tasks failed; submissions fail until the next"
                        + " attempt, which the first one after {} ms makes",
                key,
                poolName,
                reason,
                count,
                TimeUnit.NANOSECONDS.toMillis(pool.loadRetryBackoffNanos(loadFailures)),
                cause);
        try {
            pool.loadObserver().loadFailed(key, reason, loadNanos);
        } catch (RuntimeException e) {
            LOG.warn("Load observer failed on the load failure of model '{}'", key, e);
        }
    }

    /** Refuses new submissions; queued work still runs, except a load still waiting for room, which fails now. */
    void refuseNew() {
        List<PoolTask<I, O>> unstarted = List.of();
        lock.lock();
        try {
            shuttingDown = true;
            queue.refuseNew(new PoolError.ShuttingDown(key));
            if (state == ModelState.LOADING && activeWorkers == 0) {
                // no worker will be started for it during shutdown; waiting out the drain would only delay the exit
                unstarted = queue.drain();
                state = ModelState.UNLOADED;
                settled.signalAll();
            }
        } finally {
            lock.unlock();
        }
        PoolError error = new PoolError.ShuttingDown(key);
        for (PoolTask<I, O> t : unstarted) {
            t.failNow(error);
        }
    }

    /** Fails every queued task and every task a worker holds but has not finished. */
    int abandon() {
        PoolError error = new PoolError.ShuttingDown(key);
        int count = 0;
        for (PoolTask<I, O> t : queue.drain()) {
            if (t.failNow(error)) {
                count++;
            }
        }
        for (Worker w : workersSnapshot()) {
            List<PoolTask<I, O>> held = w.held;
            if (held != null) {
                for (PoolTask<I, O> t : held) {
                    if (t.failNow(error)) {
                        count++;
                    }
                }
            }
        }
        return count;
    }

    /**
     * The first step of a close: stops the queue, failing every queued task, so that each worker ends (and closes its
     * runner) once it has finished what it holds; and terminates the runs of workers whose held tasks were all
     * given up on already (by {@link #abandon()}), since nobody waits for their outputs. Those workers are not
     * waited for ({@link #awaitWorkersEnded}): ONNX Runtime honours a termination only between operators, and the
     * close's budget belongs to the runs whose outputs someone still wants. Returns tasks failed here.
     */
    int beginClose() {
        PoolError error = new PoolError.ShuttingDown(key);
        int failed = 0;
        for (PoolTask<I, O> t : queue.stop()) {
            if (t.failNow(error)) {
                failed++;
            }
        }
        for (Worker w : workersSnapshot()) {
            if (w.holdsOnlyFinished()) {
                w.abandonedAtClose = true;
                w.terminate();
            }
        }
        return failed;
    }

    /**
     * The last step of a close whose patience ran out: fails every task still held, terminates every worker's run
     * and interrupts every worker (one waiting on anything but a native run wakes). Returns tasks failed here.
     */
    int abandonRunning() {
        int failed = abandon();
        for (Worker w : workersSnapshot()) {
            w.terminate();
            w.thread.interrupt();
        }
        return failed;
    }

    /**
     * Waits until every worker thread has ended or {@code deadlineNanos} ({@link System#nanoTime()}) has passed;
     * returns how many are still alive. Workers whose runs {@link #beginClose} terminated as abandoned are neither
     * waited for nor counted (see {@link #abandonedWorkerNames()}).
     */
    int awaitWorkersEnded(long deadlineNanos) throws InterruptedException {
        List<Worker> all = workersSnapshot();
        int alive = 0;
        for (Worker w : all) {
            if (w.abandonedAtClose) {
                continue;
            }
            long left = deadlineNanos - System.nanoTime();
            if (left > 0) {
                TimeUnit.NANOSECONDS.timedJoin(w.thread, left);
            }
            if (w.thread.isAlive()) {
                alive++;
            }
        }
        return alive;
    }

    /** Names of the worker threads still alive that the close waited for, for its warning. */
    List<String> liveWorkerNames() {
        List<String> names = new ArrayList<>();
        for (Worker w : workersSnapshot()) {
            if (!w.abandonedAtClose && w.thread.isAlive()) {
                names.add(w.thread.getName());
            }
        }
        return names;
    }

    /** Names of the worker threads still alive whose abandoned runs the close terminated and did not wait for. */
    List<String> abandonedWorkerNames() {
        List<String> names = new ArrayList<>();
        for (Worker w : workersSnapshot()) {
            if (w.abandonedAtClose && w.thread.isAlive()) {
                names.add(w.thread.getName());
            }
        }
        return names;
    }

    void markClosed() {
        lock.lock();
        try {
            state = ModelState.CLOSED;
            settled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private List<Worker> workersSnapshot() {
        lock.lock();
        try {
            return new ArrayList<>(workers);
        } finally {
            lock.unlock();
        }
    }

    /** The worker's runner opened; returns whether it should take tasks (false: it was retired meanwhile). */
    private boolean workerOpened(Worker w) {
        long loadNanos = -1;
        boolean keep;
        lock.lock();
        try {
            w.open = true;
            w.lastActiveNanos = System.nanoTime();
            keep = !w.retired;
            if (keep) {
                openingWorkers--;
            }
            if (keep && state == ModelState.LOADING) {
                state = ModelState.READY;
                // idle time counts from here: a slow load is not idle, and a warm-up load must outlive its idle-unload
                lastUsedNanos = w.lastActiveNanos;
                loadFailures = 0;
                loadNanos = w.lastActiveNanos - loadStartedNanos;
                settled.signalAll();
            }
        } finally {
            lock.unlock();
        }
        if (loadNanos >= 0) {
            LOG.info(
                    "Model '{}' in pool '{}' loaded in {} ms (worker {} opened first)",
                    key,
                    poolName,
                    TimeUnit.NANOSECONDS.toMillis(loadNanos),
                    w.index);
            try {
                pool.loadObserver().loaded(key, loadNanos);
            } catch (RuntimeException e) {
                LOG.warn("Load observer failed on the load of model '{}'", key, e);
            }
        }
        return keep;
    }

    private void workerFailedToOpen(Worker w, Exception e) {
        List<PoolTask<I, O>> failed = null;
        long loadNanos = 0;
        String reason = String.valueOf(e.getMessage());
        lock.lock();
        try {
            boolean wasActive = !w.retired;
            removeLocked(w);
            if (wasActive) {
                openingWorkers--;
            }
            if (state == ModelState.LOADING && activeWorkers == 0) {
                loadNanos = System.nanoTime() - loadStartedNanos;
                failed = markFailedLocked(reason);
            } else if (state == ModelState.READY) {
                // a scale-up that failed: wait a backoff before the next spawn rather than retrying every pass
                spawnAllowedAtNanos = System.nanoTime() + pool.loadRetryBackoffNanos(1);
            }
        } finally {
            lock.unlock();
        }
        if (failed != null) {
            reportLoadFailure(reason, e, failed, loadNanos);
        } else {
            LOG.warn(
                    "Worker {} of model '{}' in pool '{}' failed to open its runner: {}",
                    w.index,
                    key,
                    poolName,
                    e.toString());
        }
        pool.workerEnded(this);
    }

    /** The worker's thread is about to end; its runner is closed. */
    private void workerEnded(Worker w) {
        boolean reload = false;
        lock.lock();
        try {
            removeLocked(w);
            if (state == ModelState.READY && activeWorkers == 0) {
                // every worker ended without an unload (interrupted): load again if work waits
                state = ModelState.UNLOADED;
                reload = outstanding.get() > 0 && beginLoadLocked(System.nanoTime());
            }
        } finally {
            lock.unlock();
        }
        if (reload) {
            pool.loadWanted(this);
        }
        pool.workerEnded(this);
    }

    private void removeLocked(Worker w) {
        if (workers.remove(w)) {
            slots.clear(w.index);
            if (w.retired) {
                retiringWorkers--;
            } else {
                activeWorkers--;
            }
        }
    }

    private final class Worker implements Runnable {
        private final int index;
        private volatile List<PoolTask<I, O>> held;
        private volatile boolean retired;
        private volatile boolean open;
        private volatile long lastActiveNanos;
        private volatile BatchRunner<I, O> runner;
        /** Its run was terminated by the close as abandoned; the close does not wait for it. */
        private volatile boolean abandonedAtClose;
        /** Inside {@link BatchRunner#run}: its held tasks can only be finished by someone else while this is set. */
        private volatile boolean inRun;

        private Thread thread;

        Worker(int index) {
            this.index = index;
        }

        /** Tasks this worker has taken from the queue and not yet finished. */
        int pending() {
            List<PoolTask<I, O>> tasks = held;
            int count = 0;
            if (tasks != null) {
                for (PoolTask<I, O> t : tasks) {
                    if (!t.isDone()) {
                        count++;
                    }
                }
            }
            return count;
        }

        /**
         * Is inside a run over a window of tasks, every one of which was finished by someone else (abandoned). A
         * worker between runs whose window its own run just finished is not: it ends, and closes its runner, promptly.
         */
        boolean holdsOnlyFinished() {
            List<PoolTask<I, O>> tasks = held;
            if (!inRun || tasks == null) {
                return false;
            }
            for (PoolTask<I, O> t : tasks) {
                if (!t.isDone()) {
                    return false;
                }
            }
            return true;
        }

        /** Asks the runner, from the closing thread, to stop its run; see {@link BatchRunner#terminate()}. */
        void terminate() {
            BatchRunner<I, O> r = runner;
            if (r == null) {
                return;
            }
            try {
                r.terminate();
            } catch (RuntimeException e) {
                LOG.warn("Terminating the run of worker {} of model '{}' failed", index, key, e);
            }
        }

        @Override
        public void run() {
            BatchRunner<I, O> runner;
            try {
                runner = runners.open(index);
            } catch (Exception e) {
                workerFailedToOpen(this, e);
                return;
            }
            this.runner = runner;
            try {
                if (workerOpened(this)) {
                    loop(runner);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.debug("Worker {} of model '{}' interrupted", index, key);
            } finally {
                try {
                    runner.close();
                } catch (Exception e) {
                    LOG.warn("Closing the runner of worker {} of model '{}' failed", index, key, e);
                }
                workerEnded(this);
            }
        }

        private void loop(BatchRunner<I, O> runner) throws InterruptedException {
            long maxDelayNanos = config.maxDelay().toNanos();
            while (true) {
                List<PoolTask<I, O>> window = queue.takeWindow(
                        config.maxBatchItems(), config.sortWindow(), maxDelayNanos, activeWorkers, () -> retired);
                if (window.isEmpty()) {
                    return;
                }
                held = List.copyOf(window);
                try {
                    for (List<PoolTask<I, O>> batch : Batcher.sortAndCut(
                            window, t -> t.length, config.maxBatchItems(), config.maxBatchTokens())) {
                        runBatch(runner, batch);
                    }
                } catch (RuntimeException | Error e) {
                    LOG.error(
                            "Worker {} of model '{}' failed outside a batch run; failing its held tasks",
                            index,
                            key,
                            e);
                    long now = System.nanoTime();
                    for (PoolTask<I, O> t : window) {
                        t.fail(e, new TaskTiming(t.submittedNanos, now, now, 0));
                    }
                } finally {
                    lastActiveNanos = System.nanoTime();
                    held = null;
                }
            }
        }

        private void observe(List<PoolTask<I, O>> batch, long runNanos, boolean failed) {
            long tokens = 0;
            for (PoolTask<I, O> t : batch) {
                tokens += t.length;
            }
            try {
                pool.batchObserver().batchRan(key, batch.size(), tokens, runNanos, failed);
            } catch (RuntimeException e) {
                LOG.warn("Batch observer of model '{}' failed; the batch's tasks are not affected", key, e);
            }
        }

        private void runBatch(BatchRunner<I, O> runner, List<PoolTask<I, O>> batch) {
            for (PoolTask<I, O> t : batch) {
                t.failIfWithdrawn(); // withdrawn tasks end here, done, and the filter below leaves them out
            }
            List<PoolTask<I, O>> live = batch;
            for (PoolTask<I, O> t : batch) {
                if (t.isDone()) {
                    live = new ArrayList<>(batch.size());
                    for (PoolTask<I, O> u : batch) {
                        if (!u.isDone()) {
                            live.add(u);
                        }
                    }
                    break;
                }
            }
            if (live.isEmpty()) {
                return;
            }
            List<I> inputs = new ArrayList<>(live.size());
            for (PoolTask<I, O> t : live) {
                inputs.add(t.input);
            }
            long started = System.nanoTime();
            long clockStarted = pool.nanoClock().getAsLong();
            List<O> outputs;
            try {
                inRun = true;
                try {
                    outputs = runner.run(inputs);
                } finally {
                    inRun = false;
                }
                if (outputs == null || outputs.size() != inputs.size()) {
                    throw new IllegalStateException("runner returned " + (outputs == null ? "null" : outputs.size())
                            + " outputs for " + inputs.size() + " inputs");
                }
            } catch (Exception e) {
                long finished = System.nanoTime();
                observe(live, finished - started, true);
                if (live.size() == 1) {
                    PoolTask<I, O> t = live.get(0);
                    LOG.debug("Task of model '{}' failed: {}", key, e.toString());
                    t.fail(e, new TaskTiming(t.submittedNanos, started, finished, 1));
                } else {
                    LOG.debug(
                            "Batch of {} tasks of model '{}' failed ({}); running each alone",
                            live.size(),
                            key,
                            e.toString());
                    for (PoolTask<I, O> t : live) {
                        runBatch(runner, List.of(t));
                    }
                }
                return;
            }
            long finished = System.nanoTime();
            long cost = 0;
            for (PoolTask<I, O> t : live) {
                cost += t.cost;
            }
            rate.observe(pool.nanoClock().getAsLong() - clockStarted, cost);
            observe(live, finished - started, false);
            int size = live.size();
            for (int i = 0; i < size; i++) {
                PoolTask<I, O> t = live.get(i);
                t.complete(outputs.get(i), new TaskTiming(t.submittedNanos, started, finished, size));
            }
        }
    }
}
