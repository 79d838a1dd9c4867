package io.modelpool.worker.observe;

import static io.modelpool.worker.observe.MeterNames.TAG_CAPABILITY;
import static io.modelpool.worker.observe.MeterNames.TAG_MODEL;
import static io.modelpool.worker.observe.MeterNames.TAG_OUTCOME;
import static io.modelpool.worker.observe.MeterNames.TAG_REASON;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.pool.BatchObserver;
import io.modelpool.worker.pool.LoadObserver;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pools' meters: per model, the queue depth, the tasks in flight, the workers, the learned seconds per cost unit
 * and the estimated seconds of work queued and running (gauges read from the pool's counters at scrape time), the models loaded and their resident size, per batch its size, its tokens and its
 * inference time (from the pool's {@link BatchObserver}, on the worker thread that ran it), per load its time and
 * outcome and per unload its reason (from the pool's {@link LoadObserver}), and the memory budget and how much of it
 * the loaded models use. Per batch, one debug line.
 *
 * <p>Resident size: the pool and the runtime do not report memory per model, so it is the estimate the memory budget
 * counts: the model file's size times the manifest's size-factor, per worker (each worker holds its own session and
 * weights); 0 while the model is not loaded.
 */
final class PoolMeters {

    private static final Logger log = LoggerFactory.getLogger(PoolMeters.class);
    private static final Duration[] INFERENCE_BUCKETS = {
        IntakeObserver.ms(1),
        IntakeObserver.ms(2),
        IntakeObserver.ms(5),
        IntakeObserver.ms(10),
        IntakeObserver.ms(20),
        IntakeObserver.ms(50),
        IntakeObserver.ms(100),
        IntakeObserver.ms(200),
        IntakeObserver.ms(500),
        IntakeObserver.ms(1000),
        IntakeObserver.ms(2000),
        IntakeObserver.ms(5000),
        IntakeObserver.ms(10_000)
    };

    private PoolMeters() {}

    /** @param budgetBytes the memory budget the pools' maintenance keeps them within */
    static void bind(MeterRegistry registry, PoolGroup capabilities, long budgetBytes) {
        List<ModelPool<?, ?>> pools = new ArrayList<>();
        for (Capability capability : capabilities.enabled()) {
            pools.add(capabilities.pool(capability));
        }
        Gauge.builder(MeterNames.MEMORY_BUDGET, () -> budgetBytes)
                .description("Most memory the loaded models may be estimated to hold (pool.memory-budget-bytes)")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        Gauge.builder(MeterNames.MEMORY_BUDGET_USED, pools, PoolMeters::budgetUsed)
                .description("Estimated memory the loaded models hold, counted against the memory budget")
                .baseUnit("bytes")
                .strongReference(true)
                .register(registry);
        for (Capability capability : capabilities.enabled()) {
            ModelPool<?, ?> pool = capabilities.pool(capability);
            String cap = IntakeObserver.tag(capability);
            for (String model : pool.models()) {
                Gauge.builder(MeterNames.POOL_IN_FLIGHT, pool, p -> inFlight(p, model))
                        .description("Tasks the model's workers have taken and not yet finished")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("tasks")
                        .strongReference(true)
                        .register(registry);
                Gauge.builder(
                                MeterNames.POOL_QUEUE_DEPTH,
                                pool,
                                p -> Math.max(0, p.pending(model) - inFlight(p, model)))
                        .description("Tasks waiting in the model's queue for a worker")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("tasks")
                        .strongReference(true)
                        .register(registry);
                Gauge.builder(MeterNames.MODEL_RESIDENT, pool, p -> residentBytes(p, model))
                        .description("Estimated memory of the model's loaded sessions: model file size times "
                                + "size-factor times workers")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("bytes")
                        .strongReference(true)
                        .register(registry);
                Gauge.builder(MeterNames.MODEL_COST_RATE, pool, p -> secondsPerCostUnit(p, model))
                        .description("Learned seconds of one worker per unit of task cost (tokens, pixels, steps x "
                                + "area), from completed batches; NaN until the first")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("seconds")
                        .strongReference(true)
                        .register(registry);
                Gauge.builder(MeterNames.MODEL_WORK, pool, p -> p.estimatedSeconds(model))
                        .description("Estimated seconds of work queued and running: their cost times the learned "
                                + "rate, divided by the workers; +Inf with work before the rate is known")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("seconds")
                        .strongReference(true)
                        .register(registry);
                Gauge.builder(MeterNames.POOL_WORKERS, pool, p -> workers(p, model))
                        .description("Workers of the model opening or holding a session; 0 while it is unloaded")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model)
                        .baseUnit("workers")
                        .strongReference(true)
                        .register(registry);
            }
            Gauge.builder(MeterNames.MODELS_LOADED, pool, PoolMeters::loaded)
                    .description("Models of the capability whose sessions are open and serving")
                    .tags(TAG_CAPABILITY, cap)
                    .strongReference(true)
                    .register(registry);
            pool.observeBatches(new BatchMeters(registry, cap));
            pool.observeLoads(new LoadMeters(registry, cap));
        }
    }

    private static double budgetUsed(List<ModelPool<?, ?>> pools) {
        long sum = 0;
        for (ModelPool<?, ?> pool : pools) {
            for (String model : pool.models()) {
                sum += (long) residentBytes(pool, model);
            }
        }
        return sum;
    }

    private static double workers(ModelPool<?, ?> pool, String model) {
        try {
            return pool.workers(model);
        } catch (PoolRejectedException e) {
            return 0;
        }
    }

    private static double secondsPerCostUnit(ModelPool<?, ?> pool, String model) {
        try {
            return pool.secondsPerCostUnit(model);
        } catch (PoolRejectedException e) {
            return Double.NaN;
        }
    }

    private static double inFlight(ModelPool<?, ?> pool, String model) {
        try {
            int sum = 0;
            for (int n : pool.workerPending(model)) {
                sum += n;
            }
            return sum;
        } catch (PoolRejectedException e) {
            return 0;
        }
    }

    private static double residentBytes(ModelPool<?, ?> pool, String model) {
        try {
            return pool.residentBytes(model);
        } catch (PoolRejectedException e) {
            return 0;
        }
    }

    private static double loaded(ModelPool<?, ?> pool) {
        int n = 0;
        for (String model : pool.models()) {
            try {
                if (pool.state(model) == ModelState.READY) {
                    n++;
                }
            } catch (PoolRejectedException e) {
                log.debug("Model '{}' left pool '{}' while counting loaded models", model, pool.name());
            }
        }
        return n;
    }

    /** Load, load-failure and unload meters of one capability's pool; meters are cached per model and outcome. */
    private static final class LoadMeters implements LoadObserver {

        private final MeterRegistry registry;
        private final String capability;
        private final Map<String, Timer> loads = new ConcurrentHashMap<>();
        private final Map<String, Counter> unloads = new ConcurrentHashMap<>();

        LoadMeters(MeterRegistry registry, String capability) {
            this.registry = registry;
            this.capability = capability;
        }

        @Override
        public void loaded(String model, long loadNanos) {
            load(model, "ok").record(loadNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void loadFailed(String model, String reason, long loadNanos) {
            load(model, "error").record(loadNanos, TimeUnit.NANOSECONDS);
        }

        @Override
        public void unloaded(String model, UnloadReason reason) {
            String tag = reason == UnloadReason.IDLE ? "idle" : "memory-budget";
            unloads.computeIfAbsent(
                            model + "\n" + tag,
                            k -> Counter.builder(MeterNames.MODEL_UNLOADS)
                                    .description(
                                            "Models unloaded, by reason: idle for pool.idle-unload-ms, or to make room in the "
                                                    + "memory budget")
                                    .tags(TAG_CAPABILITY, capability, TAG_MODEL, model, TAG_REASON, tag)
                                    .register(registry))
                    .increment();
        }

        private Timer load(String model, String outcome) {
            return loads.computeIfAbsent(
                    model + "\n" + outcome,
                    k -> Timer.builder(MeterNames.MODEL_LOAD)
                            .description(
                                    "Model loads (first request or warm-up) and their time until the first session "
                                            + "opened, by outcome")
                            .tags(TAG_CAPABILITY, capability, TAG_MODEL, model, TAG_OUTCOME, outcome)
                            .serviceLevelObjectives(INFERENCE_BUCKETS)
                            .register(registry));
        }
    }

    /** Per-batch meters of one capability's pool; meters are cached per model (the pool's keys bound them). */
    private static final class BatchMeters implements BatchObserver {

        private record ModelMeters(DistributionSummary size, DistributionSummary tokens, Timer ok, Timer failed) {}

        private final MeterRegistry registry;
        private final String capability;
        private final Map<String, ModelMeters> byModel = new ConcurrentHashMap<>();

        BatchMeters(MeterRegistry registry, String capability) {
            this.registry = registry;
            this.capability = capability;
        }

        @Override
        public void batchRan(String model, int size, long tokens, long runNanos, boolean failed) {
            ModelMeters m = byModel.computeIfAbsent(model, this::meters);
            m.size().record(size);
            m.tokens().record(tokens);
            (failed ? m.failed() : m.ok()).record(runNanos, TimeUnit.NANOSECONDS);
            if (log.isDebugEnabled()) {
                log.atDebug()
                        .addKeyValue("model", model)
                        .addKeyValue("size", size)
                        .addKeyValue("tokens", tokens)
                        .addKeyValue("run_ms", String.format(java.util.Locale.ROOT, "%.2f", runNanos / 1e6))
                        .addKeyValue("failed", failed)
                        .log("Batch ran");
            }
        }

        private ModelMeters meters(String model) {
            DistributionSummary size = DistributionSummary.builder(MeterNames.BATCH_SIZE)
                    .description("Tasks per batch run")
                    .tags(TAG_CAPABILITY, capability, TAG_MODEL, model)
                    .baseUnit("tasks")
                    .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64, 128, 256)
                    .register(registry);
            DistributionSummary tokens = DistributionSummary.builder(MeterNames.BATCH_TOKENS)
                    .description("Tokens per batch run (the sum of its tasks' lengths)")
                    .tags(TAG_CAPABILITY, capability, TAG_MODEL, model)
                    .serviceLevelObjectives(16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16_384)
                    .register(registry);
            return new ModelMeters(size, tokens, inference(model, "ok"), inference(model, "error"));
        }

        private Timer inference(String model, String outcome) {
            return Timer.builder(MeterNames.BATCH_INFERENCE)
                    .description("Wall time of one batch run of the model")
                    .tags(TAG_CAPABILITY, capability, TAG_MODEL, model, TAG_OUTCOME, outcome)
                    .serviceLevelObjectives(INFERENCE_BUCKETS)
                    .register(registry);
        }
    }
}
