package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * A transaction commit bounded by what is left of a deadline (revocation, shutdown), on a MockProducer whose commit
 * hangs as the real one does for {@code max.block.ms} when the coordinator does not answer.
 */
class TransactionCycleBudgetTest {

    private static final TopicPartition SOURCE = new TopicPartition("in", 0);

    @Test
    void aCommitThatDoesNotReturnWithinTheBudgetIsFatalWithItsRecordsAndTheCallerGoesOn() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        MockProducer<byte[], byte[]> hanging =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer()) {
                    @Override
                    public void commitTransaction() {
                        try {
                            release.await(30, TimeUnit.SECONDS); // the coordinator does not answer
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                };
        hanging.initTransactions();
        TransactionCycle cycle = new TransactionCycle(hanging, Duration.ofSeconds(10), 100);
        InFlight sent = new InFlight(
                SOURCE, 0, 0, Capability.TEXT_EMBEDDING, 0, new RecordHeaders(), null, DeadLetters.Original.TOMBSTONE);
        cycle.send(new ProducerRecord<>("out", new byte[] {1}), sent);

        long start = System.nanoTime();
        TransactionCycle.Outcome outcome = cycle.commit(
                Map.of(SOURCE, new OffsetAndMetadata(1)), new ConsumerGroupMetadata("group"), Duration.ofMillis(200));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        release.countDown();

        assertThat(outcome).isInstanceOfSatisfying(TransactionCycle.Fatal.class, f -> {
            assertThat(f.records()).containsExactly(sent);
            assertThat(f.cause()).isInstanceOf(TimeoutException.class).hasMessageContaining("within 200 ms");
            assertThat(f.fenced()).isFalse();
        });
        assertThat(took).as("the caller is not held by the hanging commit").isLessThan(Duration.ofSeconds(25));
    }

    @Test
    void aCommitWithinTheBudgetCommitsAsUsual() {
        MockProducer<byte[], byte[]> producer =
                new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
        producer.initTransactions();
        TransactionCycle cycle = new TransactionCycle(producer, Duration.ofSeconds(10), 100);
        cycle.send(
                new ProducerRecord<>("out", new byte[] {1}),
                new InFlight(
                        SOURCE,
                        0,
                        0,
                        Capability.TEXT_EMBEDDING,
                        0,
                        new RecordHeaders(),
                        null,
                        DeadLetters.Original.TOMBSTONE));

        TransactionCycle.Outcome outcome = cycle.commit(
                Map.of(SOURCE, new OffsetAndMetadata(1)), new ConsumerGroupMetadata("group"), Duration.ofSeconds(20));

        assertThat(outcome).isInstanceOf(TransactionCycle.Committed.class);
        assertThat(producer.transactionCommitted()).isTrue();
        assertThat(producer.history()).hasSize(1);
    }
}
