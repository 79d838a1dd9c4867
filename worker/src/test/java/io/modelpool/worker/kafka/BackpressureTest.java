package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackpressureTest {

    @Test
    void pausesAtTheHighWaterMarkAndResumesOnlyAtTheLowWaterMark() {
        Backpressure gate = new Backpressure(100, 20);
        assertThat(gate.observe(99)).isEqualTo(Backpressure.Action.NONE);
        assertThat(gate.observe(100)).isEqualTo(Backpressure.Action.PAUSE);
        assertThat(gate.paused()).isTrue();
        assertThat(gate.observe(150)).isEqualTo(Backpressure.Action.NONE);
        assertThat(gate.observe(50)).as("between the marks: stay paused").isEqualTo(Backpressure.Action.NONE);
        assertThat(gate.observe(20)).isEqualTo(Backpressure.Action.RESUME);
        assertThat(gate.paused()).isFalse();
        assertThat(gate.observe(50)).as("between the marks: stay running").isEqualTo(Backpressure.Action.NONE);
    }

    @Test
    void rejectsMarksInTheWrongOrder() {
        assertThatThrownBy(() -> new Backpressure(10, 10)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void backoffDoublesUpToItsCapAndResetsOnSuccess() {
        Backoff backoff = new Backoff(Duration.ofMillis(100), Duration.ofMillis(350));
        assertThat(backoff.failed(0)).isEqualTo(100);
        assertThat(backoff.ready(99)).isFalse();
        assertThat(backoff.ready(100)).isTrue();
        assertThat(backoff.failed(100)).isEqualTo(200);
        assertThat(backoff.failed(300)).isEqualTo(350);
        assertThat(backoff.failed(650)).isEqualTo(350);
        assertThat(backoff.failures()).isEqualTo(4);
        backoff.succeeded();
        assertThat(backoff.ready(0)).isTrue();
        assertThat(backoff.failed(1000)).isEqualTo(100);
    }
}
