package io.modelpool.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.modelpool.v1.Capability;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BacklogMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final AtomicReference<Double> secondsPerRequest = new AtomicReference<>(Double.NaN);
    private final Map<String, Double> lags = new HashMap<>();

    @BeforeEach
    void bind() {
        BacklogMeters.bind(registry, "modelpool", Map.of(Capability.TEXT_EMBEDDING, secondsPerRequest::get));
    }

    /** A partition's lag gauge as Kafka's consumer metrics name it (dots of the topic written as underscores). */
    private void lag(String topicTag, int partition, double records) {
        String key = topicTag + "-" + partition;
        boolean fresh = !lags.containsKey(key);
        lags.put(key, records);
        if (fresh) {
            Gauge.builder(BacklogMeters.RECORDS_LAG, () -> lags.get(key))
                    .tags("topic", topicTag, "partition", Integer.toString(partition), "client.id", "intake")
                    .register(registry);
        }
    }

    private double backlog() {
        return registry.get(MeterNames.BACKLOG_SECONDS)
                .tag(MeterNames.TAG_CAPABILITY, "text-embedding")
                .gauge()
                .value();
    }

    @Test
    void theBacklogIsTheAssignedLagOfTheCapabilitysRequestTopicTimesTheSecondsPerRequest() {
        secondsPerRequest.set(0.25);
        lag("modelpool_text-embedding_requests", 0, 100);
        lag("modelpool_text-embedding_requests", 1, 60);
        lag("modelpool_vision_requests", 0, 1_000); // another capability's backlog is not this one's

        assertThat(backlog()).isEqualTo(160 * 0.25);

        secondsPerRequest.set(2.0); // chunk-sized requests: the same lag is a longer backlog
        assertThat(backlog()).isEqualTo(160 * 2.0);
    }

    @Test
    void noLagIsNoBacklogEvenBeforeARateIsKnown() {
        lag("modelpool_text-embedding_requests", 0, 0);
        assertThat(backlog()).isZero();
    }

    @Test
    void aLagWithoutALearnedRateIsUnknownNotZero() {
        lag("modelpool_text-embedding_requests", 0, 5);
        assertThat(backlog()).isNaN();
    }
}
