package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One model inside a pool: its queue, its worker threads (each owning a runner and a pending counter), its
 * load state and its count of unfinished tasks.
 */
final class ModelLane<I, O> {

    private static final Logger LOG = LoggerFactory.getLogger(ModelLane.class);

    private final String poolName;
    private final String key;
    private final PoolModelConfig config;
    private final RunnerFactory<I, O> runners;
    private final Runnable onIdle;
    private final BatchObserver batchObserver;
    private final ModelQueue<I, O> queue;
    private final AtomicInteger outstanding = new AtomicInteger();
    private final AtomicInteger failedWorkers = new AtomicInteger();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private final List<Worker> workers = new ArrayList<>();
    private volatile ModelState state = ModelState.LOADING;

    ModelLane(String poolName, String key, PoolModelConfig config, RunnerFactory<I, O> runners, Runnable onIdle,
              BatchObserver batchObserver) {
        this.poolName = poolName;
        this.batchObserver = batchObserver;
        this.key = key;
        this.config = config;
        this.runners = runners;
        this.onIdle = onIdle;
        this.queue = new ModelQueue<>(key, config.queueCapacity());
    }

    String key() {
        return key;
    }

    PoolModelConfig config() {
        return config;
    }

    ModelState state() {
        return state;
    }

    void start() {
        for (int i = 0; i < config.workers(); i++) {
            Worker w = new Worker(i);
            workers.add(w);
            Thread t = new Thread(w, "modelpool-" + poolName + "-" + key + "-" + i);
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
    }

    void offer(List<PoolTask<I, O>> tasks) throws PoolRejectedException {
        outstanding.addAndGet(tasks.size());
        try {
            queue.offerAll(tasks);
        } catch (PoolRejectedException e) {
            if (outstanding.addAndGet(-tasks.size()) == 0) {
                onIdle.run();
            }
            throw e;
        }
    }

    void taskFinished() {
        if (outstanding.decrementAndGet() == 0) {
            onIdle.run();
        }
    }

    int pending() {
        return outstanding.get();
    }

    List<Integer> workerPending() {
        List<Integer> counts = new ArrayList<>(workers.size());
        for (Worker w : workers) {
            counts.add(w.pending());
        }
        return counts;
    }

    ModelState awaitLoaded(Duration timeout) throws InterruptedException {
        try {
            loaded.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            LOG.debug("Model '{}' not ready after waiting: {}", key, e.toString());
        }
        return state;
    }

    void refuseNew() {
        queue.refuseNew(new PoolError.ShuttingDown(key));
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
        for (Worker w : workers) {
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

    /** Stops the workers; each closes its runner on its own thread. Returns tasks failed here. */
    int stop(Duration join) throws InterruptedException {
        int failed = 0;
        for (PoolTask<I, O> t : queue.stop()) {
            if (t.failNow(new PoolError.ShuttingDown(key))) {
                failed++;
            }
        }
        long deadline = System.nanoTime() + join.toNanos();
        for (Worker w : workers) {
            w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (w.thread.isAlive()) {
                w.thread.interrupt();
            }
        }
        for (Worker w : workers) {
            w.thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            if (w.thread.isAlive()) {
                LOG.warn("Worker {} of model '{}' did not stop in time", w.thread.getName(), key);
            }
        }
        failed += abandon();
        state = ModelState.CLOSED;
        return failed;
    }

    private void workerOpened(int index) {
        if (state == ModelState.LOADING) {
            state = ModelState.READY;
            LOG.info("Model '{}' in pool '{}' is ready (worker {} opened first)", key, poolName, index);
        }
        loaded.complete(null);
    }

    private void workerFailedToOpen(int index, Exception e) {
        LOG.error("Worker {} of model '{}' in pool '{}' failed to open its runner", index, key, poolName, e);
        if (failedWorkers.incrementAndGet() == config.workers()) {
            state = ModelState.FAILED;
            PoolError error = new PoolError.ModelLoadFailed(key, String.valueOf(e.getMessage()));
            int failed = 0;
            for (PoolTask<I, O> t : queue.closeWith(error)) {
                if (t.failNow(error)) {
                    failed++;
                }
            }
            LOG.error("Model '{}' failed to load on every worker; {} queued tasks failed", key, failed);
            loaded.complete(null);
        }
    }

    private final class Worker implements Runnable {
        private final int index;
        private volatile List<PoolTask<I, O>> held;
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

        @Override
        public void run() {
            BatchRunner<I, O> runner;
            try {
                runner = runners.open(index);
            } catch (Exception e) {
                workerFailedToOpen(index, e);
                return;
            }
            workerOpened(index);
            try {
                loop(runner);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.debug("Worker {} of model '{}' interrupted", index, key);
            } finally {
                try {
                    runner.close();
                } catch (Exception e) {
                    LOG.warn("Closing the runner of worker {} of model '{}' failed", index, key, e);
                }
            }
        }

        private void loop(BatchRunner<I, O> runner) throws InterruptedException {
            long maxDelayNanos = config.maxDelay().toNanos();
            while (true) {
                List<PoolTask<I, O>> window = queue.takeWindow(
                        config.maxBatchItems(), config.sortWindow(), maxDelayNanos, config.workers());
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
                    LOG.error("Worker {} of model '{}' failed outside a batch run; failing its held tasks",
                            index, key, e);
                    long now = System.nanoTime();
                    for (PoolTask<I, O> t : window) {
                        t.fail(e, new TaskTiming(t.submittedNanos, now, now, 0));
                    }
                } finally {
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
                batchObserver.batchRan(key, batch.size(), tokens, runNanos, failed);
            } catch (RuntimeException e) {
                LOG.warn("Batch observer of model '{}' failed; the batch's tasks are not affected", key, e);
            }
        }

        private void runBatch(BatchRunner<I, O> runner, List<PoolTask<I, O>> batch) {
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
            List<O> outputs;
            try {
                outputs = runner.run(inputs);
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
                    LOG.debug("Batch of {} tasks of model '{}' failed ({}); running each alone",
                            live.size(), key, e.toString());
                    for (PoolTask<I, O> t : live) {
                        runBatch(runner, List.of(t));
                    }
                }
                return;
            }
            long finished = System.nanoTime();
            observe(live, finished - started, false);
            int size = live.size();
            for (int i = 0; i < size; i++) {
                PoolTask<I, O> t = live.get(i);
                t.complete(outputs.get(i), new TaskTiming(t.submittedNanos, started, finished, size));
            }
        }
    }
}
