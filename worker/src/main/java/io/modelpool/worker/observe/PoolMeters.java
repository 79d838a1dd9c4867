package io.modelpool.worker.observe;

import static io.modelpool.worker.observe.MeterNames.TAG_CAPABILITY;
import static io.modelpool.worker.observe.MeterNames.TAG_MODEL;
import static io.modelpool.worker.observe.MeterNames.TAG_OUTCOME;

import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.BatchObserver;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pools' meters: per model, the queue depth and the tasks in flight (gauges read from the pool's counters at
 * scrape time), the models loaded and their resident size, and per batch its size, its tokens and its inference
 * time (from the pool's {@link BatchObserver}, on the worker thread that ran it). Per batch, one debug line.
 *
 * <p>Resident size: the pool and the runtime do not report memory per model, so it is estimated as the model
 * file's size (from the manifest's source) times its worker count, since each worker holds its own session and
 * weights; 0 while the model is not loaded.
 */
final class PoolMeters {

    private static final Logger log = LoggerFactory.getLogger(PoolMeters.class);
    private static final Duration[] INFERENCE_BUCKETS = {IntakeObserver.ms(1), IntakeObserver.ms(2),
        IntakeObserver.ms(5), IntakeObserver.ms(10), IntakeObserver.ms(20), IntakeObserver.ms(50),
        IntakeObserver.ms(100), IntakeObserver.ms(200), IntakeObserver.ms(500), IntakeObserver.ms(1000),
        IntakeObserver.ms(2000), IntakeObserver.ms(5000), IntakeObserver.ms(10_000)};

    private PoolMeters() {
    }

    static void bind(MeterRegistry registry, CapabilityRegistry capabilities) {
        Map<String, ModelDefinition> definitions = new ConcurrentHashMap<>();
        for (ModelDefinition d : capabilities.manifest().models()) {
            definitions.put(d.key(), d);
        }
        for (Capability capability : capabilities.enabled()) {
            ModelPool<?, ?> pool = capabilities.pool(capability);
            String cap = IntakeObserver.tag(capability);
            for (String model : pool.models()) {
                Gauge.builder(MeterNames.POOL_IN_FLIGHT, pool, p -> inFlight(p, model))
                        .description("Tasks the model's workers have taken and not yet finished")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model).baseUnit("tasks").strongReference(true)
                        .register(registry);
                Gauge.builder(MeterNames.POOL_QUEUE_DEPTH, pool, p -> Math.max(0, p.pending(model) - inFlight(p, model)))
                        .description("Tasks waiting in the model's queue for a worker")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model).baseUnit("tasks").strongReference(true)
                        .register(registry);
                ModelDefinition definition = definitions.get(model);
                long fileBytes = definition == null ? 0 : ModelFileSize.of(definition.source());
                Gauge.builder(MeterNames.MODEL_RESIDENT, pool, p -> residentBytes(p, model, fileBytes))
                        .description("Estimated memory of the model's loaded sessions: model file size times workers")
                        .tags(TAG_CAPABILITY, cap, TAG_MODEL, model).baseUnit("bytes").strongReference(true)
                        .register(registry);
            }
            Gauge.builder(MeterNames.MODELS_LOADED, pool, PoolMeters::loaded)
                    .description("Models of the capability whose sessions are open and serving")
                    .tags(TAG_CAPABILITY, cap).strongReference(true).register(registry);
            pool.observeBatches(new BatchMeters(registry, cap));
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

    private static double residentBytes(ModelPool<?, ?> pool, String model, long fileBytes) {
        try {
            return pool.state(model) == ModelState.READY ? (double) fileBytes * pool.workerPending(model).size() : 0;
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

    /** Per-batch meters of one capability's pool; meters are cached per model (the pool's keys bound them). */
    private static final class BatchMeters implements BatchObserver {

        private record ModelMeters(DistributionSummary size, DistributionSummary tokens, Timer ok, Timer failed) {
        }

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
                log.atDebug().addKeyValue("model", model).addKeyValue("size", size).addKeyValue("tokens", tokens)
                        .addKeyValue("run_ms", String.format(java.util.Locale.ROOT, "%.2f", runNanos / 1e6))
                        .addKeyValue("failed", failed).log("Batch ran");
            }
        }

        private ModelMeters meters(String model) {
            DistributionSummary size = DistributionSummary.builder(MeterNames.BATCH_SIZE)
                    .description("Tasks per batch run")
                    .tags(TAG_CAPABILITY, capability, TAG_MODEL, model).baseUnit("tasks")
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
