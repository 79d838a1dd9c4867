package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Revocations against the intake's state machine, on Kafka's MockConsumer and a MockProducer whose sends the test
 * acknowledges one by one: an outcome acknowledged after its partition was revoked is not committed by this member,
 * and a rebalance during the shutdown's drain (which polls with every partition paused) leaves the final commit to the
 * partitions still owned. Only undecodable records are used, so no model runs; their dead letters are encoded by the
 * real Confluent serde on the devstack's schema registry.
 */
class IntakeRebalanceTest {

    private static final String PREFIX = "unit" + UUID.randomUUID().toString().substring(0, 8);
    private static final String REQUESTS = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);
    private static final TopicPartition TP0 = new TopicPartition(REQUESTS, 0);
    private static final TopicPartition TP1 = new TopicPartition(REQUESTS, 1);

    private final CommitRecorder consumer = new CommitRecorder();
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(false, null, new ByteArraySerializer(), new ByteArraySerializer());
    private PoolGroup capabilities;
    private Intake intake;
    private Thread thread;

    @AfterEach
    void stop() throws InterruptedException {
        if (intake != null) {
            intake.requestShutdown();
        }
        while (thread != null && thread.isAlive() && producer.completeNext()) {
            // acknowledge whatever the drain still waits for
        }
        if (thread != null) {
            thread.join(Duration.ofSeconds(30).toMillis());
        }
        if (capabilities != null) {
            capabilities.close();
        }
    }

    @Test
    void anOutcomeAcknowledgedAfterItsPartitionWasRevokedIsNotCommittedByThisMember() {
        start(Duration.ofMillis(300));
        feed(TP0, 2);
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);
        producer.completeNext(); // TP0@0 acknowledged: done
        await().atMost(Duration.ofSeconds(20)).until(() -> committed(TP0) == 1L);

        // TP0@1 is still unacknowledged when TP0 is revoked: the revocation's drain gives up on it.
        AtomicBoolean revoked = rebalance(List.of(TP1));
        await().atMost(Duration.ofSeconds(20)).untilTrue(revoked);
        producer.completeNext(); // its acknowledgement comes after the revocation
        feed(TP1, 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 3);
        producer.completeNext();
        await().atMost(Duration.ofSeconds(20)).until(() -> committed(TP1) == 1L);

        assertThat(committed(TP0))
                .as("the late acknowledgement of TP0@1 moves nothing: the new owner redoes it")
                .isEqualTo(1L);
    }

    @Test
    void aRebalanceDuringTheShutdownDrainLeavesTheFinalCommitToThePartitionsStillOwned() throws Exception {
        start(Duration.ofSeconds(20));
        feed(TP0, 1);
        feed(TP1, 1);
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);

        intake.requestShutdown();
        await("the shutdown pauses every partition")
                .atMost(Duration.ofSeconds(20))
                .until(() -> consumer.paused().size() == 2);
        AtomicBoolean revoked = rebalance(List.of(TP1)); // runs inside one of the drain's polls
        await().atMost(Duration.ofSeconds(20)).untilTrue(revoked);
        assertThat(consumer.assignment()).containsExactly(TP1);
        assertThat(consumer.paused())
                .as("the drain polls with every partition paused")
                .contains(TP1);
        feed(TP1, 1); // a record arriving during the drain is not taken
        producer.completeNext();
        producer.completeNext();
        thread.join(Duration.ofSeconds(30).toMillis());

        assertThat(thread.isAlive()).isFalse();
        assertThat(producer.history())
                .as("nothing was dispatched during the drain")
                .hasSize(2);
        assertThat(committed(TP1))
                .as("the final commit covers the partition still owned")
                .isEqualTo(1L);
        assertThat(committed(TP0))
                .as("TP0's record was acknowledged after its revocation: its new owner redoes it")
                .isLessThanOrEqualTo(0L);
        assertThat(intake.shutdownReport().committed()).isTrue();
    }

    private void start(Duration drain) {
        capabilities = CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:process/minilm.yaml"));
        IntakeSettings settings = IntakeSettings.builder()
                .workerId("unit-worker")
                .topicPrefix(PREFIX)
                .maxRequestBytes(1_000_000)
                .deadLetterMaxValueBytes(100_000)
                .permanentFailureAttempts(3)
                .highWater(64)
                .lowWater(16)
                .pollTimeout(Duration.ofMillis(5))
                .commitInterval(Duration.ofMillis(10))
                .retryBackoff(Duration.ofMillis(1))
                .retryBackoffMax(Duration.ofMillis(5))
                .drainTimeout(drain)
                .closeTimeout(Duration.ofSeconds(5))
                .leaveGroupOnClose(true)
                .guarantee(Guarantee.AT_LEAST_ONCE)
                .transactionInterval(Duration.ofMillis(20))
                .transactionMaxRecords(100)
                .publishLinger(Duration.ZERO)
                .publishMaxRecords(16)
                .workBudgetShare(0.5)
                .maxInFlightBytes(64L * 1024 * 1024)
                .build();
        RecordCodec codec = new SerdeCodec(
                Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl()),
                PREFIX,
                capabilities.enabled());
        intake = new Intake(settings, capabilities, consumer, producer, codec, IntakeListener.NONE);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(TP0, TP1));
            consumer.updateBeginningOffsets(Map.of(TP0, 0L, TP1, 0L));
        });
        thread = new Thread(intake, "unit-intake");
        thread.start();
    }

    /** Adds {@code count} undecodable records after those already fed to {@code tp}. */
    private void feed(TopicPartition tp, int count) {
        consumer.schedulePollTask(() -> {
            for (int i = 0; i < count; i++) {
                long offset = consumer.fed.merge(tp, 1L, Long::sum) - 1;
                consumer.addRecord(new ConsumerRecord<>(tp.topic(), tp.partition(), offset, null, new byte[] {0x7f}));
            }
        });
    }

    /** Moves the assignment to {@code partitions} inside a later poll; the flag is set once the callbacks returned. */
    private AtomicBoolean rebalance(List<TopicPartition> partitions) {
        AtomicBoolean done = new AtomicBoolean();
        consumer.schedulePollTask(() -> {
            consumer.rebalance(partitions);
            done.set(true);
        });
        return done;
    }

    private long committed(TopicPartition tp) {
        OffsetAndMetadata c = consumer.lastCommitted.get(tp);
        return c == null ? -1 : c.offset();
    }

    /** Records what was committed for which partition (MockConsumer.committed() answers 0 once unassigned). */
    private static final class CommitRecorder extends MockConsumer<byte[], byte[]> {

        final Map<TopicPartition, OffsetAndMetadata> lastCommitted = new ConcurrentHashMap<>();
        final Map<TopicPartition, Long> fed = new ConcurrentHashMap<>();

        CommitRecorder() {
            super("earliest");
        }

        @Override
        public synchronized void commitAsync(
                Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
            // MockConsumer's commitSync comes here too, without a callback
            super.commitAsync(offsets, (committed, error) -> {
                if (error == null) {
                    lastCommitted.putAll(offsets);
                }
                if (callback != null) {
                    callback.onComplete(committed, error);
                }
            });
        }

        @Override
        public synchronized Set<TopicPartition> paused() {
            return super.paused();
        }
    }
}
