package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class OffsetLedgerTest {

    private static final TopicPartition P0 = new TopicPartition("modelpool.text-embedding.requests", 0);
    private static final TopicPartition P1 = new TopicPartition("modelpool.text-embedding.requests", 1);

    @Test
    void theCommitPositionNeverPassesAnUnfinishedRecord() {
        OffsetLedger ledger = new OffsetLedger();
        long epoch = 0;
        for (long o = 10; o < 15; o++) {
            epoch = ledger.register(P0, o);
        }
        ledger.markDone(P0, 11, epoch);
        ledger.markDone(P0, 13, epoch);
        ledger.markDone(P0, 14, epoch);
        assertThat(ledger.commitPosition(P0)).hasValue(10);

        ledger.markDone(P0, 10, epoch);
        assertThat(ledger.commitPosition(P0)).as("11 done, 12 still running").hasValue(12);

        ledger.markDone(P0, 12, epoch);
        assertThat(ledger.commitPosition(P0))
                .as("everything done: one past the highest")
                .hasValue(15);
    }

    @Test
    void randomCompletionOrderAlwaysCommitsExactlyTheContiguousDonePrefix() {
        Random random = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            OffsetLedger ledger = new OffsetLedger();
            List<Long> offsets = new ArrayList<>();
            long o = random.nextInt(1000);
            long epoch = 0;
            for (int i = 0; i < 50; i++) {
                o += 1 + random.nextInt(3); // gaps, as compaction and transaction markers leave them
                offsets.add(o);
                epoch = ledger.register(P0, o);
            }
            List<Long> order = new ArrayList<>(offsets);
            Collections.shuffle(order, random);
            java.util.TreeSet<Long> done = new java.util.TreeSet<>();
            for (long finished : order) {
                ledger.markDone(P0, finished, epoch);
                done.add(finished);
                long expected = offsets.stream()
                        .filter(x -> !done.contains(x))
                        .findFirst()
                        .orElse(offsets.get(offsets.size() - 1) + 1);
                assertThat(ledger.commitPosition(P0)).hasValue(expected);
            }
        }
    }

    @Test
    void partitionsAreIndependent() {
        OffsetLedger ledger = new OffsetLedger();
        long e0 = ledger.register(P0, 0);
        long e1 = ledger.register(P1, 0);
        ledger.register(P1, 1);
        ledger.markDone(P1, 0, e1);
        ledger.markDone(P1, 1, e1);
        assertThat(ledger.commitPosition(P0)).hasValue(0);
        assertThat(ledger.commitPosition(P1)).hasValue(2);
        assertThat(ledger.outstanding()).isEqualTo(1);
        ledger.markDone(P0, 0, e0);
        assertThat(ledger.outstanding()).isZero();
    }

    @Test
    void pendingCommitsOffersOnlyPositionsThatAdvanced() {
        OffsetLedger ledger = new OffsetLedger();
        long e = ledger.register(P0, 5);
        assertThat(ledger.pendingCommits()).containsExactly(Map.entry(P0, new OffsetAndMetadata(5)));
        ledger.markCommitted(ledger.pendingCommits());
        assertThat(ledger.pendingCommits()).isEmpty();

        ledger.markDone(P0, 5, e);
        assertThat(ledger.pendingCommits()).containsExactly(Map.entry(P0, new OffsetAndMetadata(6)));
        Map<TopicPartition, OffsetAndMetadata> offered = ledger.pendingCommits();
        ledger.markCommitted(offered);
        ledger.forgetCommitted(offered.keySet());
        assertThat(ledger.pendingCommits())
                .as("a failed commit is offered again")
                .containsExactly(Map.entry(P0, new OffsetAndMetadata(6)));
    }

    @Test
    void aLateAcknowledgementFromAnEarlierAssignmentCannotMarkARefetchedRecordDone() {
        OffsetLedger ledger = new OffsetLedger();
        long oldEpoch = ledger.register(P0, 7);
        ledger.forget(List.of(P0));

        long newEpoch = ledger.register(P0, 7);
        assertThat(newEpoch).isNotEqualTo(oldEpoch);
        assertThat(ledger.markDone(P0, 7, oldEpoch)).isFalse();
        assertThat(ledger.commitPosition(P0)).hasValue(7);
        assertThat(ledger.markDone(P0, 7, newEpoch)).isTrue();
        assertThat(ledger.commitPosition(P0)).hasValue(8);
    }

    @Test
    void offsetsMustBeRegisteredInIncreasingOrder() {
        OffsetLedger ledger = new OffsetLedger();
        ledger.register(P0, 9);
        assertThatThrownBy(() -> ledger.register(P0, 9))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset 9");
    }

    @Test
    void anUnknownPartitionHasNoCommitPosition() {
        assertThat(new OffsetLedger().commitPosition(P0)).isEmpty();
    }

    @Test
    void aReopenedOffsetHoldsTheCommitPositionBackUntilItIsDoneAgain() {
        OffsetLedger ledger = new OffsetLedger();
        long epoch = 0;
        for (long o = 0; o < 4; o++) {
            epoch = ledger.register(P0, o);
            ledger.markDone(P0, o, epoch);
        }
        assertThat(ledger.commitPosition(P0)).hasValue(4);

        // the transaction that carried the outcomes of 2 and 3 aborted
        assertThat(ledger.reopen(P0, 2, epoch)).isTrue();
        assertThat(ledger.reopen(P0, 3, epoch)).isTrue();
        assertThat(ledger.commitPosition(P0)).hasValue(2);
        assertThat(ledger.outstanding(P0)).isEqualTo(2);

        ledger.markDone(P0, 2, epoch);
        ledger.markDone(P0, 3, epoch);
        assertThat(ledger.commitPosition(P0)).hasValue(4);
    }

    @Test
    void reopenIgnoresOtherEpochsCommittedOffsetsAndOffsetsNeverRegistered() {
        OffsetLedger ledger = new OffsetLedger();
        long epoch = ledger.register(P0, 0);
        ledger.register(P0, 1);
        ledger.markDone(P0, 0, epoch);
        ledger.markDone(P0, 1, epoch);
        ledger.markCommitted(ledger.pendingCommits());

        assertThat(ledger.reopen(P0, 0, epoch))
                .as("below the committed position")
                .isFalse();
        assertThat(ledger.reopen(P0, 5, epoch)).as("never registered").isFalse();
        ledger.forget(List.of(P0));
        long next = ledger.register(P0, 2);
        ledger.markDone(P0, 2, next);
        assertThat(ledger.reopen(P0, 2, epoch)).as("an older epoch").isFalse();
        assertThat(ledger.commitPosition(P0)).hasValue(3);
    }
}
