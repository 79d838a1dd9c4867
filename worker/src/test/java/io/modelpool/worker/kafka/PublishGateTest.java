package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class PublishGateTest {

    private static final long MS = 1_000_000L;

    @Test
    void anOutcomeLeavesAtOnceWhenNothingElseIsComputing() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        gate.ready(0);
        assertThat(gate.open(1, 0, 0)).as("an idle worker adds no latency").isTrue();
    }

    @Test
    void whileOthersComputeOutcomesWaitForTheLingerThenLeaveTogether() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        gate.ready(100 * MS);
        assertThat(gate.open(1, 7, 100 * MS)).isFalse();
        gate.ready(105 * MS);
        assertThat(gate.open(2, 6, 110 * MS))
                .as("the wait counts from the oldest outcome")
                .isFalse();
        assertThat(gate.open(2, 6, 119 * MS)).isFalse();
        assertThat(gate.open(2, 6, 120 * MS)).isTrue();
        gate.published();
        gate.ready(121 * MS);
        assertThat(gate.open(1, 5, 125 * MS))
                .as("a new wait starts after publishing")
                .isFalse();
        assertThat(gate.open(1, 5, 141 * MS)).isTrue();
    }

    @Test
    void anInteractiveOutcomeLeavesAtOnceWithWhatWaitsWhileBulkWorkComputes() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        gate.ready(100 * MS, false);
        assertThat(gate.open(1, 50, 101 * MS)).as("a bulk outcome lingers").isFalse();
        gate.ready(102 * MS, true);
        assertThat(gate.open(2, 50, 102 * MS))
                .as("someone waits on the interactive one")
                .isTrue();
        gate.published();
        gate.ready(103 * MS, false);
        assertThat(gate.open(1, 50, 104 * MS))
                .as("the next bulk outcome lingers again")
                .isFalse();
    }

    @Test
    void theLastComputingOutcomeReleasesEveryoneWaiting() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        gate.ready(0);
        assertThat(gate.open(3, 1, 2 * MS)).isFalse();
        assertThat(gate.open(4, 0, 3 * MS)).isTrue();
    }

    @Test
    void enoughWaitingOutcomesLeaveBeforeTheLingerEnds() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 8);
        gate.ready(0);
        assertThat(gate.open(7, 100, 1 * MS)).isFalse();
        assertThat(gate.open(8, 100, 1 * MS)).isTrue();
    }

    @Test
    void nothingWaitingMeansNothingToPublishAndAFreshWaitAfterwards() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        assertThat(gate.open(0, 0, 0)).isFalse();
        gate.ready(0);
        assertThat(gate.open(0, 3, 50 * MS))
                .as("what waited was dropped by a revocation")
                .isFalse();
        gate.ready(60 * MS);
        assertThat(gate.open(1, 3, 61 * MS))
                .as("the dropped outcome's age does not carry over")
                .isFalse();
    }

    @Test
    void outcomesQueuedWithoutAnnouncementArePublishedAtOnce() {
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        assertThat(gate.open(2, 5, 0))
                .as("e.g. an aborted transaction's outcomes put back")
                .isTrue();
    }

    @Test
    void zeroLingerPublishesEveryOutcomeAtOnce() {
        PublishGate gate = new PublishGate(Duration.ZERO, 256);
        gate.ready(0);
        assertThat(gate.open(1, 50, 0)).isTrue();
    }

    @Test
    void rejectsANegativeLingerAndAnEmptyBatch() {
        assertThatThrownBy(() -> new PublishGate(Duration.ofMillis(-1), 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("linger");
        assertThatThrownBy(() -> new PublishGate(Duration.ofMillis(1), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxRecords");
    }
}
