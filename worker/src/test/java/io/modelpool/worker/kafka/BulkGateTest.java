package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BulkGateTest {
    private static final TopicPartition P0 = new TopicPartition("requests", 0);
    private static final TopicPartition P1 = new TopicPartition("requests", 1);

    private final DoubleAdder work = new DoubleAdder();
    private final AtomicLong now = new AtomicLong(1_000);
    /** A budget of 2.5 s of work, as with the default 5 s drain: bulk may fill 1.25 s of it. */
    private final BulkGate gate = new BulkGate(work::sum, 2.5, now::get);

    @BeforeEach
    void anInteractiveRecordWasJustTaken() {
        gate.taken(P1);
    }

    @Test
    void withNoInteractiveRecordForAWhileBulkFillsTheWholeBudget() {
        work.add(2.4);
        now.addAndGet(BulkGate.INTERACTIVE_WINDOW_MILLIS);

        assertThat(gate.admitsBulk(P0, 10)).isTrue();
        assertThat(gate.holds(P0)).isFalse();
    }

    @Test
    void bulkGoesWhileTheWorkInFlightIsUnderItsShareOfTheBudget() {
        work.add(1.0);

        assertThat(gate.admitsBulk(P0, 10)).isTrue();
        assertThat(gate.holds(P0)).isFalse();
    }

    @Test
    void atItsShareBulkIsHeldAndItsPartitionPausedUntilTheWorkFallsUnderTheShare() {
        work.add(1.3);

        assertThat(gate.admitsBulk(P0, 10)).isFalse();
        assertThat(gate.holds(P0)).as("paused alone").isTrue();
        assertThat(gate.holds(P1)).as("the other partitions keep delivering").isFalse();

        work.add(-0.2);
        assertThat(gate.holds(P0)).as("resumed once under the share").isFalse();
        assertThat(gate.admitsBulk(P0, 10)).isTrue();
    }

    @Test
    void aHeldPartitionAgesAndTakesItsBulkRecordWhateverTheWork() {
        work.add(2.4);
        assertThat(gate.admitsBulk(P0, 10)).isFalse();

        now.addAndGet(BulkGate.AGING_MILLIS - 1);
        assertThat(gate.holds(P0)).isTrue();
        assertThat(gate.admitsBulk(P0, 10)).isFalse();

        now.addAndGet(1);
        assertThat(gate.holds(P0)).as("aged: resumed to fetch its record again").isFalse();
        assertThat(gate.admitsBulk(P0, 10)).isTrue();
        assertThat(gate.admitsBulk(P0, 10))
                .as("the next bulk record waits anew")
                .isFalse();
    }

    @Test
    void withNothingInFlightBulkAlwaysGoes() {
        work.add(100);

        assertThat(gate.admitsBulk(P0, 0)).isTrue();
    }

    @Test
    void takingAnInteractiveRecordEndsTheHold() {
        work.add(2.0);
        assertThat(gate.admitsBulk(P0, 3)).isFalse();

        gate.taken(P0);

        assertThat(gate.holds(P0)).isFalse();
    }

    @Test
    void theBulkLaneIsHeldWhileInteractiveRecordsWaitAndOpensForATurnAfterTheAgingTime() {
        assertThat(gate.holdsBulkLane(false)).as("nothing waits").isFalse();
        assertThat(gate.holdsBulkLane(true)).isTrue();
        now.addAndGet(BulkGate.AGING_MILLIS - 1);
        assertThat(gate.holdsBulkLane(true)).isTrue();
        now.addAndGet(1);
        assertThat(gate.holdsBulkLane(true)).as("aged: open for this turn").isFalse();
        assertThat(gate.holdsBulkLane(true)).as("held anew").isTrue();
        assertThat(gate.holdsBulkLane(false)).isFalse();
    }

    @Test
    void belowItsMinimumInFlightTheBulkLaneIsNeverHeld() {
        java.util.concurrent.atomic.AtomicInteger bulkInFlight = new java.util.concurrent.atomic.AtomicInteger(50);
        BulkGate withMinimum = new BulkGate(work::sum, 2.5, now::get, bulkInFlight::get, 51);
        assertThat(withMinimum.belowMinimum()).isTrue();
        bulkInFlight.set(51);
        assertThat(withMinimum.belowMinimum()).isFalse();
        assertThat(gate.belowMinimum()).as("no minimum configured").isFalse();
    }

    @Test
    void aBulkRecordRefusedAtTheBoundsHoldsItsPartitionUntilAdmissionResumes() {
        gate.holdAtBound(P0);

        assertThat(gate.holdsAtBound(P0, true)).isTrue();
        assertThat(gate.holdsAtBound(P1, true)).isFalse();
        assertThat(gate.holdsAtBound(P0, false)).as("admission resumed").isFalse();
        assertThat(gate.holdsAtBound(P0, true)).as("the hold ended").isFalse();
    }
}
