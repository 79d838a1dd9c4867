package io.modelpool.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolMaintenance;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pool's load, unload, worker and memory-budget meters, read after real loads of the MiniLM model. */
class PoolMetersTest {

    private static final String MANIFEST = """
            models:
              - key: mini
                capability: text-embedding
                family: encoder-embedding
                source: classpath:all-minilm-l6-v2-q.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
                workers: 1
                idle-unload: 3s
              - key: broken
                capability: text-embedding
                family: encoder-embedding
                source: file:/no/such/model.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
                workers: 1
            """;
    private static final long BUDGET = 1L << 30;

    @Test
    void loadsUnloadsWorkersAndTheBudgetAreMetered() throws Exception {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.parse(MANIFEST, "t"));
                PoolMaintenance maintenance = registry.startMaintenance(
                        PoolMaintenance.Settings.builder()
                                .interval(Duration.ofMillis(20))
                                .memoryBudgetBytes(BUDGET)
                                .scaleUpWait(Duration.ofMillis(50))
                                .workerIdle(Duration.ofSeconds(1))
                                .loadRetryBackoff(Duration.ofSeconds(1))
                                .loadRetryMax(Duration.ofSeconds(2))
                                .build(),
                        Duration.ZERO)) {
            PoolMeters.bind(meters, registry, BUDGET);
            ModelPool<?, ?> pool = registry.pool(Capability.TEXT_EMBEDDING);

            assertThat(pool.awaitLoaded("mini", Duration.ofSeconds(60))).isEqualTo(ModelState.READY);
            // the observer hears of a load just after the state changed
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> meters.find(MeterNames.MODEL_LOAD)
                                    .tags("model", "mini", "outcome", "ok")
                                    .timer()
                            != null);

            assertThat(meters.get(MeterNames.POOL_WORKERS)
                            .tag("model", "mini")
                            .gauge()
                            .value())
                    .isEqualTo(1);
            assertThat(meters.get(MeterNames.MODEL_RESIDENT)
                            .tag("model", "mini")
                            .gauge()
                            .value())
                    .isEqualTo(pool.residentBytes("mini"))
                    .isPositive();
            assertThat(meters.get(MeterNames.MEMORY_BUDGET_USED).gauge().value())
                    .isEqualTo(maintenance.budgetUsedBytes());
            assertThat(meters.get(MeterNames.MEMORY_BUDGET).gauge().value()).isEqualTo(BUDGET);
            assertThat(meters.get(MeterNames.MODEL_COST_RATE)
                            .tag("model", "mini")
                            .gauge()
                            .value())
                    .as("no batch has run yet")
                    .isNaN();
            assertThat(meters.get(MeterNames.MODEL_WORK)
                            .tag("model", "mini")
                            .gauge()
                            .value())
                    .isZero();
            assertThat(meters.get(MeterNames.MODEL_LOAD)
                            .tags("model", "mini", "outcome", "ok")
                            .timer()
                            .count())
                    .isEqualTo(1);
            assertThat(meters.get(MeterNames.MODEL_LOAD)
                            .tags("model", "mini", "outcome", "ok")
                            .timer()
                            .totalTime(TimeUnit.NANOSECONDS))
                    .isPositive();
            assertThat(pool.awaitLoaded("broken", Duration.ofSeconds(60))).isEqualTo(ModelState.FAILED);
            // the observer hears of the failure just after the state changed
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> meters.find(MeterNames.MODEL_LOAD)
                                    .tags("model", "broken", "outcome", "error")
                                    .timer()
                            != null);
            assertThat(meters.get(MeterNames.MODEL_LOAD)
                            .tags("model", "broken", "outcome", "error")
                            .timer()
                            .count())
                    .isEqualTo(1);

            await().atMost(Duration.ofSeconds(30))
                    .until(() -> meters.find(MeterNames.MODEL_UNLOADS)
                                    .tags("model", "mini", "reason", "idle")
                                    .counter()
                            != null);
            assertThat(meters.get(MeterNames.MODEL_UNLOADS)
                            .tags("model", "mini", "reason", "idle")
                            .counter()
                            .count())
                    .isEqualTo(1);
            await().atMost(Duration.ofSeconds(30))
                    .until(() ->
                            meters.get(MeterNames.MEMORY_BUDGET_USED).gauge().value() == 0
                                    && meters.get(MeterNames.POOL_WORKERS)
                                                    .tag("model", "mini")
                                                    .gauge()
                                                    .value()
                                            == 0);
        }
    }
}
