package io.modelpool.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

/** The pool.* settings: the memory budget, idle unloading, warm-up, and the maintenance and retry timings. */
class PoolSettingsConfigTest {

    private static WorkerConfig config(Map<String, String> extra) {
        Map<String, String> m = new HashMap<>();
        m.put(WorkerConfig.BOOTSTRAP_SERVERS, "localhost:9092");
        m.put(WorkerConfig.SCHEMA_REGISTRY_URL, "http://localhost:8081");
        m.putAll(extra);
        return WorkerConfig.of(m);
    }

    @Test
    void byDefaultTheBudgetIsHalfTheMemoryTheJvmSeesAndIdleModelsUnloadAfterTenMinutes() {
        long total = ((com.sun.management.OperatingSystemMXBean)
                        java.lang.management.ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize();
        WorkerConfig c = config(Map.of());

        assertThat(c.poolMemoryBudgetBytes()).isEqualTo((long) (total * 0.5));
        assertThat(c.poolIdleUnload()).isEqualTo(Duration.ofMinutes(10));
        assertThat(c.poolWarmUp()).isEmpty();
        assertThat(c.poolLoadRetryBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.poolLoadRetryBackoffMax()).isEqualTo(Duration.ofMinutes(1));
        assertThat(config(Map.of(WorkerConfig.POOL_MEMORY_BUDGET_SHARE, "0.25")).poolMemoryBudgetBytes())
                .isEqualTo((long) (total * 0.25));
    }

    @Test
    void anExplicitBudgetWinsOverTheShareAndTheWarmUpListIsTrimmed() {
        WorkerConfig c = config(Map.of(
                WorkerConfig.POOL_MEMORY_BUDGET_BYTES,
                "1073741824",
                WorkerConfig.POOL_WARM_UP,
                " all-minilm-l6-v2-q , e5-small-v2-q ",
                WorkerConfig.POOL_IDLE_UNLOAD_MS,
                "0"));

        assertThat(c.poolMemoryBudgetBytes()).isEqualTo(1L << 30);
        assertThat(c.poolWarmUp()).containsExactly("all-minilm-l6-v2-q", "e5-small-v2-q");
        assertThat(c.poolIdleUnload()).isZero();
    }

    @Test
    void aBadPoolSettingStopsStartUpNamingIt() {
        assertThatThrownBy(() -> config(Map.of(WorkerConfig.POOL_MEMORY_BUDGET_SHARE, "1.5")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("pool.memory-budget-share");
        assertThatThrownBy(() -> config(Map.of(
                        WorkerConfig.POOL_LOAD_RETRY_BACKOFF_MS,
                        "5000",
                        WorkerConfig.POOL_LOAD_RETRY_BACKOFF_MAX_MS,
                        "1000")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("pool.load-retry-backoff-ms")
                .hasMessageContaining("must not exceed pool.load-retry-backoff-max-ms (1000)");
    }
}
