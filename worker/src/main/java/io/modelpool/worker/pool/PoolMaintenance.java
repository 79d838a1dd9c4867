package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maintenance thread of a set of pools (typically all of a worker's pools): on every pass, for each model of a
 * pool that is not shutting down, and following the model's {@link MaintenancePolicy},
 * <ul>
 *   <li>unloads it when it has had nothing queued or running for its {@code idleUnload} time;</li>
 *   <li>spawns one more worker, up to {@code maxWorkers}, while work waits: its queue holds more tasks than its
 *       workers take at once, or its oldest queued task has waited {@code scaleUpWait};</li>
 *   <li>otherwise retires one worker that has been idle for {@code workerIdle}, down to {@code minWorkers};</li>
 * </ul>
 * and it keeps every model of these pools within one shared memory budget ({@link MemoryBudget}): a load or a spawn
 * whose estimate does not fit first unloads least recently used idle models, and waits while models with work in
 * flight hold the room. A model with work in flight is never unloaded.
 *
 * <p>Shutdown: once a pool has begun shutting down, maintenance leaves its models alone (it spawns, loads, retires
 * and unloads nothing there), so their queued tasks drain on the workers they have. {@link #beginShutdown()} stops
 * every pass; {@link #close()} also stops the thread and waits for a pass under way. Both are idempotent and may be
 * called from any thread.
 *
 * <p>Threading: passes run on one daemon thread named {@code modelpool-maintenance}; loads that wait for room are also
 * admitted on the worker thread whose end frees it. A pass never blocks on a model: workers open and close their
 * runners on their own threads.
 */
public final class PoolMaintenance implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolMaintenance.class);

    /**
     * @param interval          time between passes
     * @param memoryBudgetBytes the most memory the models of these pools may be estimated to hold
     * @param scaleUpWait       a ready model gets another worker once its oldest queued task has waited this long
     * @param workerIdle        a worker above the model's minimum is retired after this long without a task
     * @param loadRetryBackoff  after a failed load, submissions fail for this long before the next attempt, doubling
     *                          with each further failure (see {@link ModelPool#loadRetryBackoff})
     * @param loadRetryMax      the longest such backoff
     */
    public record Settings(
            Duration interval,
            long memoryBudgetBytes,
            Duration scaleUpWait,
            Duration workerIdle,
            Duration loadRetryBackoff,
            Duration loadRetryMax) {
        public Settings {
            Objects.requireNonNull(interval, "interval");
            Objects.requireNonNull(loadRetryBackoff, "loadRetryBackoff");
            Objects.requireNonNull(loadRetryMax, "loadRetryMax");
            Objects.requireNonNull(scaleUpWait, "scaleUpWait");
            Objects.requireNonNull(workerIdle, "workerIdle");
            if (interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("interval = " + interval + " is invalid; allowed: > 0");
            }
            if (memoryBudgetBytes <= 0) {
                throw new IllegalArgumentException(
                        "memoryBudgetBytes = " + memoryBudgetBytes + " is invalid; allowed: > 0");
            }
            if (scaleUpWait.isNegative() || workerIdle.isNegative()) {
                throw new IllegalArgumentException(
                        "scaleUpWait and workerIdle must be >= 0, got " + scaleUpWait + " and " + workerIdle);
            }
        }

        /** A builder with every setting by name; {@link Builder#build()} checks them as the constructor does. */
        public static Builder builder() {
            return new Builder();
        }

        /** Sets each setting by name. Not thread-safe. */
        public static final class Builder {
            private Duration interval;
            private long memoryBudgetBytes;
            private Duration scaleUpWait;
            private Duration workerIdle;
            private Duration loadRetryBackoff;
            private Duration loadRetryMax;

            private Builder() {}

            public Builder interval(Duration interval) {
                this.interval = interval;
                return this;
            }

            public Builder memoryBudgetBytes(long memoryBudgetBytes) {
                this.memoryBudgetBytes = memoryBudgetBytes;
                return this;
            }

            public Builder scaleUpWait(Duration scaleUpWait) {
                this.scaleUpWait = scaleUpWait;
                return this;
            }

            public Builder workerIdle(Duration workerIdle) {
                this.workerIdle = workerIdle;
                return this;
            }

            public Builder loadRetryBackoff(Duration loadRetryBackoff) {
                this.loadRetryBackoff = loadRetryBackoff;
                return this;
            }

            public Builder loadRetryMax(Duration loadRetryMax) {
                this.loadRetryMax = loadRetryMax;
                return this;
            }

            public Settings build() {
                return new Settings(
                        interval, memoryBudgetBytes, scaleUpWait, workerIdle, loadRetryBackoff, loadRetryMax);
            }
        }
    }

    private final List<ModelPool<?, ?>> pools;
    private final Settings settings;
    private final MemoryBudget budget;
    private final ScheduledExecutorService thread;
    private volatile boolean stopping;

    private PoolMaintenance(List<ModelPool<?, ?>> pools, Settings settings) {
        this.pools = pools;
        this.settings = settings;
        this.budget = new MemoryBudget(settings.memoryBudgetBytes());
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modelpool-maintenance");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Puts {@code pools} under one memory budget and starts the maintenance thread. Call it before the pools' models
     * are used, so that the budget admits their first loads.
     */
    public static PoolMaintenance start(Collection<? extends ModelPool<?, ?>> pools, Settings settings) {
        PoolMaintenance m = new PoolMaintenance(List.copyOf(pools), Objects.requireNonNull(settings, "settings"));
        for (ModelPool<?, ?> pool : m.pools) {
            pool.useBudget(m.budget);
            pool.loadRetryBackoff(settings.loadRetryBackoff(), settings.loadRetryMax());
        }
        long every = settings.interval().toNanos();
        m.thread.scheduleWithFixedDelay(m::pass, every, every, TimeUnit.NANOSECONDS);
        LOG.info(
                "Pool maintenance started: every {} ms, memory budget {} MiB, scale up after {} ms of waiting, "
                        + "retire workers idle for {} ms",
                settings.interval().toMillis(),
                settings.memoryBudgetBytes() / (1024 * 1024),
                settings.scaleUpWait().toMillis(),
                settings.workerIdle().toMillis());
        return m;
    }

    /** The memory budget, in bytes. */
    public long budgetBytes() {
        return budget.limitBytes();
    }

    /** The estimated memory the models of these pools hold now, in bytes (never more than the budget). */
    public long budgetUsedBytes() {
        return budget.usedBytes();
    }

    /** No pass acts from now on; the pools' own shutdown keeps workers from starting. Returns at once. */
    public void beginShutdown() {
        stopping = true;
    }

    /** Stops the thread, waiting up to 5 s for a pass under way. Idempotent. */
    @Override
    public void close() {
        stopping = true;
        thread.shutdownNow();
        try {
            if (!thread.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("Pool maintenance thread did not stop within 5 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            LOG.warn("Interrupted while stopping the pool maintenance thread");
        }
    }

    private void pass() {
        try {
            runPass(System.nanoTime());
        } catch (RuntimeException e) {
            // a failed pass must not end the schedule: the next one starts from the pools' state afresh
            LOG.error("Pool maintenance pass failed", e);
        }
    }

    private void runPass(long now) {
        if (stopping) {
            return;
        }
        budget.admitWaiting();
        long scaleUpWait = settings.scaleUpWait().toNanos();
        long workerIdle = settings.workerIdle().toNanos();
        for (ModelPool<?, ?> pool : pools) {
            for (ModelLane<?, ?> lane : pool.lanesSnapshot()) {
                if (stopping || pool.isShuttingDown()) {
                    break;
                }
                Duration idleUnload = lane.policy().idleUnload();
                if (!idleUnload.isZero()
                        && lane.idleNanos(now) >= idleUnload.toNanos()
                        && lane.unload(LoadObserver.UnloadReason.IDLE)) {
                    continue;
                }
                if (lane.wantsWorker(now, scaleUpWait)) {
                    budget.admitWorker(lane);
                } else {
                    lane.retireIdleWorker(now, workerIdle);
                }
            }
        }
        budget.trim();
    }
}
