package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class InFlightTrackerTest {

    private static final TopicPartition P0 = new TopicPartition("modelpool.text-embedding.requests", 0);

    private static InFlight record(InFlightTracker tracker, long offset, int valueBytes) {
        long epoch = tracker.register(P0, offset);
        return new InFlight(
                P0,
                offset,
                epoch,
                Capability.TEXT_EMBEDDING,
                0,
                new RecordHeaders(),
                null,
                new DeadLetters.Original(new byte[valueBytes], valueBytes, null));
    }

    @Test
    void theRequestBytesHeldAreThoseOfRecordsWhoseOutcomeHasNotComeBack() {
        InFlightTracker tracker = new InFlightTracker();
        InFlight small = record(tracker, 0, 100);
        InFlight large = record(tracker, 1, 5_000);
        tracker.computing(small);
        tracker.computing(large);
        assertThat(tracker.computingBytes()).isEqualTo(5_100);

        tracker.returned(large);
        assertThat(tracker.computingBytes())
                .as("the large request's outcome came back")
                .isEqualTo(100);
        tracker.ready(large);
        assertThat(tracker.computingBytes())
                .as("an outcome waiting to be sent holds no request")
                .isEqualTo(100);
    }

    @Test
    void aRevokedPartitionsLateOutcomeStillReleasesItsBytes() {
        InFlightTracker tracker = new InFlightTracker();
        InFlight r = record(tracker, 0, 700);
        tracker.computing(r);
        tracker.forget(List.of(P0));
        tracker.returned(r);
        assertThat(tracker.computingBytes()).isZero();
        assertThat(tracker.current(r)).isFalse();
    }

    @Test
    void aRecordWaitingForItsSchemaLookupIsAnOutcomeToFollowSoTheGateGroupsWhatIsReadyMeanwhile() {
        InFlightTracker tracker = new InFlightTracker();
        PublishGate gate = new PublishGate(Duration.ofMillis(20), 256);
        record(tracker, 0, 10); // parked: its writer schema is being looked up
        tracker.awaitingLookup(1);
        InFlight deadLetter = record(tracker, 1, 10);
        tracker.ready(deadLetter);
        gate.ready(0);

        assertThat(tracker.outcomesToFollow()).isEqualTo(1);
        assertThat(gate.open(
                        tracker.waitingCount(),
                        tracker.outcomesToFollow(),
                        Duration.ofMillis(1).toNanos()))
                .as("the dead letter lingers for the parked record's outcome")
                .isFalse();
        assertThat(gate.open(
                        tracker.waitingCount(),
                        tracker.outcomesToFollow(),
                        Duration.ofMillis(20).toNanos()))
                .as("but no longer than the linger")
                .isTrue();

        tracker.awaitingLookup(-1);
        assertThat(gate.open(
                        tracker.waitingCount(),
                        tracker.outcomesToFollow(),
                        Duration.ofMillis(1).toNanos()))
                .as("nothing more to follow: it leaves at once")
                .isTrue();
    }
}
