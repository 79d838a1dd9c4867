package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.Capability;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class InOrderReleaseTest {

    private static final TopicPartition P0 = new TopicPartition("modelpool.text-embedding.requests", 0);
    private static final TopicPartition P1 = new TopicPartition("modelpool.text-embedding.requests", 1);

    private static InFlight record(TopicPartition tp, long offset) {
        return new InFlight(
                tp, offset, 0, Capability.TEXT_EMBEDDING, 0, new RecordHeaders(), null, DeadLetters.Original.TOMBSTONE);
    }

    @Test
    void anOutcomeWaitsForEveryEarlierRecordOfItsPartition() {
        InOrderRelease release = new InOrderRelease();
        for (long o = 10; o < 14; o++) {
            release.expect(P0, o);
        }
        List<Long> out = new ArrayList<>();
        release.ready(record(P0, 12), r -> out.add(r.offset));
        release.ready(record(P0, 11), r -> out.add(r.offset));
        assertThat(out).as("10 is still computing").isEmpty();
        assertThat(release.held()).isEqualTo(2);

        release.ready(record(P0, 10), r -> out.add(r.offset));
        assertThat(out).as("10 frees the held 11 and 12, in order").containsExactly(10L, 11L, 12L);
        release.ready(record(P0, 13), r -> out.add(r.offset));
        assertThat(out).containsExactly(10L, 11L, 12L, 13L);
        assertThat(release.held()).isZero();
    }

    @Test
    void aRecordAbandonedAtShutdownGivesUpTheLaterOutcomesOfItsPartitionOnly() {
        InOrderRelease release = new InOrderRelease();
        for (long o = 0; o < 5; o++) {
            release.expect(P0, o);
        }
        release.expect(P1, 0);
        List<Long> out = new ArrayList<>();
        List<Long> abandoned = new ArrayList<>();
        release.ready(record(P0, 0), r -> out.add(r.offset));
        release.ready(record(P0, 3), r -> out.add(r.offset)); // held behind 1 and 2

        release.cut(record(P0, 2), r -> abandoned.add(r.offset));
        assertThat(abandoned)
                .as("2 itself and the held 3: a transaction may not carry them above 2")
                .containsExactlyInAnyOrder(2L, 3L);
        release.ready(record(P0, 1), r -> out.add(r.offset));
        release.ready(record(P0, 4), r -> out.add(r.offset));
        release.ready(record(P1, 0), r -> out.add(r.offset));

        assertThat(out).as("below the cut and other partitions still go").containsExactly(0L, 1L, 0L);
        assertThat(abandoned).as("4, computed after the cut, is given up too").containsExactlyInAnyOrder(2L, 3L, 4L);
        assertThat(release.held()).isZero();
    }

    @Test
    void partitionsDoNotWaitForEachOther() {
        InOrderRelease release = new InOrderRelease();
        release.expect(P0, 0);
        release.expect(P0, 1);
        release.expect(P1, 0);
        List<InFlight> out = new ArrayList<>();
        release.ready(record(P0, 1), out::add);
        release.ready(record(P1, 0), out::add);
        assertThat(out).extracting(r -> r.partition).containsExactly(P1);
    }

    @Test
    void anyCompletionOrderReleasesEachOutcomeOnceInOffsetOrder() {
        Random random = new Random(3);
        for (int round = 0; round < 50; round++) {
            InOrderRelease release = new InOrderRelease();
            List<Long> offsets = new ArrayList<>();
            long o = random.nextInt(100);
            for (int i = 0; i < 200; i++) {
                o += 1 + random.nextInt(3); // transaction markers and compaction leave gaps
                offsets.add(o);
                release.expect(P0, o);
            }
            List<Long> completion = new ArrayList<>(offsets);
            Collections.shuffle(completion, random);
            List<Long> out = new ArrayList<>();
            for (long c : completion) {
                release.ready(record(P0, c), r -> out.add(r.offset));
            }
            assertThat(out).isEqualTo(offsets);
        }
    }

    @Test
    void outcomesOfForgottenPartitionsAreDropped() {
        InOrderRelease release = new InOrderRelease();
        release.expect(P0, 0);
        release.expect(P0, 1);
        List<InFlight> out = new ArrayList<>();
        release.ready(record(P0, 1), out::add);
        release.forget(Set.of(P0));
        assertThat(release.held()).isZero();
        assertThat(release.ready(record(P0, 0), out::add)).isZero();
        assertThat(out).isEmpty();
    }

    @Test
    void offsetsMustBeExpectedInIncreasingOrder() {
        InOrderRelease release = new InOrderRelease();
        release.expect(P0, 5);
        assertThatThrownBy(() -> release.expect(P0, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("offset 5");
    }
}
