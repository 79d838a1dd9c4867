package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.UnencodableRecordException;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.consumer.RetriableCommitFailedException;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.NotEnoughReplicasException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The intake's state machine on Kafka's MockConsumer and a MockProducer that refuses records over a size, as the
 * real producer does ({@code max.request.size}): send failures (retriable and permanent), an oversized outcome, an
 * encode failure, a failed async commit, and the exactly-once abort loop. Only undecodable records are used, so no model runs; the codec is the real Confluent serde on the
 * devstack's schema registry (one test wraps it to refuse one record, as an incompatible schema would).
 */
class IntakePublishabilityTest {

    private static final String PREFIX = "unit" + UUID.randomUUID().toString().substring(0, 8);
    private static final String REQUESTS = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);
    private static final String DEAD_LETTERS = Topics.deadLetters(PREFIX);
    private static final TopicPartition TP = new TopicPartition(REQUESTS, 0);
    private static final int PRODUCER_LIMIT = 2_000;

    private final FlakyCommits consumer = new FlakyCommits();
    private SizeLimitedProducer producer = new SizeLimitedProducer(true);
    private PoolGroup capabilities;
    private Intake intake;
    private Thread thread;

    @AfterEach
    void stop() throws InterruptedException {
        if (intake != null) {
            intake.requestShutdown();
        }
        if (thread != null) {
            thread.join(Duration.ofSeconds(30).toMillis());
        }
        if (capabilities != null) {
            capabilities.close();
        }
    }

    @Test
    void aDeadLetterTooLargeForTheProducerIsRetriedABoundedNumberOfTimesThenSentWithoutItsValue() {
        start(
                100_000,
                Guarantee.AT_LEAST_ONCE,
                null); // the cap lets the whole value in: the first dead letter is too large
        feed(garbage(5_000), garbage(10), garbage(5_000));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 3L);
        List<ProducerRecord<byte[], byte[]>> sent = producer.history();
        assertThat(sent)
                .as("one dead letter per record, each under the producer's limit")
                .hasSize(3)
                .allSatisfy(r -> assertThat(r.topic()).isEqualTo(DEAD_LETTERS))
                .allSatisfy(r -> assertThat(r.value().length).isLessThanOrEqualTo(PRODUCER_LIMIT));
        assertThat(producer.refused.get())
                .as("each too-large dead letter was tried 3 times, not forever")
                .isEqualTo(6);
    }

    @Test
    void aValueOverTheCapIsLeftOutOfTheDeadLetterSoItIsPublishedAtOnce() {
        start(1_000, Guarantee.AT_LEAST_ONCE, null);
        feed(garbage(5_000), garbage(10));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2L);
        assertThat(producer.history()).hasSize(2);
        assertThat(producer.refused.get()).isZero();
    }

    @Test
    void aRetriableSendFailureIsSentAgainUnchangedAndNothingIsCommittedPastItMeanwhile() {
        producer = new SizeLimitedProducer(false);
        start(100_000, Guarantee.AT_LEAST_ONCE, null);
        feed(garbage(10), garbage(10));
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);
        producer.errorNext(new NotEnoughReplicasException("in-sync replicas below min.insync.replicas"));
        producer.completeNext();
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 3);
        assertThat(committed()).as("the failed outcome pins its offset").isLessThan(1L);
        producer.completeNext();
        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2L);
        assertThat(producer.history().get(2).value())
                .as("the same dead letter, not a smaller one")
                .isEqualTo(producer.history().get(0).value());
    }

    @Test
    void anOutcomeThatCannotBeEncodedIsReplacedWithoutHoldingBackTheOthers() {
        start(100_000, Guarantee.AT_LEAST_ONCE, 1L);
        feed(garbage(10), garbage(10), garbage(10));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 3L);
        assertThat(producer.history()).hasSize(3);
        assertThat(producer.history().get(2).key())
                .as("the minimal dead letter of offset 1 came last")
                .isNull();
    }

    @Test
    void aFailedAsyncCommitIsRedoneBecauseAPositionCountsOnlyOnceConfirmed() {
        consumer.failures.set(2);
        start(100_000, Guarantee.AT_LEAST_ONCE, null);
        feed(garbage(10), garbage(10));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2L);
        assertThat(consumer.failed.get()).isEqualTo(2);
    }

    @Test
    void exactlyOnceAnOutcomeThatAbortsEveryTransactionIsReplacedAfterABoundedNumberOfAborts() {
        producer = new SizeLimitedProducer(true);
        start(100_000, Guarantee.EXACTLY_ONCE, null);
        feed(garbage(10), garbage(5_000), garbage(10));

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 3L);
        assertThat(producer.aborts.get())
                .as("3 attempts, then a minimal dead letter")
                .isEqualTo(3);
        assertThat(producer.history())
                .as("committed transactions only: one dead letter per record")
                .hasSize(3)
                .allSatisfy(r -> assertThat(r.value().length).isLessThanOrEqualTo(PRODUCER_LIMIT));
    }

    private void start(int deadLetterCap, Guarantee guarantee, Long unencodableOffset) {
        capabilities = CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:process/minilm.yaml"));
        IntakeSettings settings = IntakeSettings.builder()
                .workerId("unit-worker")
                .topicPrefix(PREFIX)
                .maxRequestBytes(1_000_000)
                .deadLetterMaxValueBytes(deadLetterCap)
                .permanentFailureAttempts(3)
                .highWater(64)
                .lowWater(16)
                .pollTimeout(Duration.ofMillis(5))
                .commitInterval(Duration.ofMillis(10))
                .retryBackoff(Duration.ofMillis(1))
                .retryBackoffMax(Duration.ofMillis(5))
                .drainTimeout(Duration.ofMillis(500))
                .closeTimeout(Duration.ofSeconds(1))
                .leaveGroupOnClose(true)
                .guarantee(guarantee)
                .transactionInterval(Duration.ofMillis(20))
                .transactionMaxRecords(100)
                .publishLinger(Duration.ZERO)
                .publishMaxRecords(16)
                .workBudgetShare(0.5)
                .maxInFlightBytes(64L * 1024 * 1024)
                .build();
        RecordCodec serde = new SerdeCodec(
                Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl()),
                PREFIX,
                capabilities.enabled());
        RecordCodec codec = unencodableOffset == null
                ? serde
                : new RecordCodec() {
                    @Override
                    public SpecificRecord decode(String topic, Headers headers, byte[] value) {
                        return serde.decode(topic, headers, value);
                    }

                    @Override
                    public byte[] encode(String topic, Headers headers, SpecificRecord value) {
                        if (value instanceof DeadLetter d
                                && d.getSourceOffset() == unencodableOffset
                                && d.getOriginalKey() != null) {
                            throw new UnencodableRecordException("refused for the test", topic, null, null);
                        }
                        return serde.encode(topic, headers, value);
                    }
                };
        intake = new Intake(settings, capabilities, consumer, producer, codec, IntakeListener.NONE);
        consumer.schedulePollTask(() -> {
            consumer.rebalance(List.of(TP));
            consumer.updateBeginningOffsets(Map.of(TP, 0L));
        });
        thread = new Thread(intake, "unit-intake");
        thread.start();
    }

    private void feed(byte[]... values) {
        consumer.schedulePollTask(() -> {
            for (int i = 0; i < values.length; i++) {
                // a key, so the minimal dead letter (which drops it) can be told apart
                consumer.addRecord(new ConsumerRecord<>(REQUESTS, 0, i, new byte[] {1}, values[i]));
            }
        });
    }

    /** The committed position: by the consumer (at least once) or in the last committed transaction. */
    private long committed() {
        // Not MockConsumer.committed(): it answers 0 for a partition no longer assigned.
        OffsetAndMetadata c = consumer.lastCommitted.get(TP);
        long position = c == null ? -1 : c.offset();
        for (Map<String, Map<TopicPartition, OffsetAndMetadata>> perGroup : producer.consumerGroupOffsetsHistory()) {
            for (Map<TopicPartition, OffsetAndMetadata> offsets : perGroup.values()) {
                OffsetAndMetadata o = offsets.get(TP);
                position = o == null ? position : Math.max(position, o.offset());
            }
        }
        return position;
    }

    private static byte[] garbage(int size) {
        byte[] b = new byte[size];
        b[0] = 0x7f; // not the Confluent magic byte
        return b;
    }

    /** A consumer whose first {@code failures} async commits fail, as after a coordinator move. */
    private static final class FlakyCommits extends MockConsumer<byte[], byte[]> {

        final AtomicInteger failures = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();
        final Map<TopicPartition, OffsetAndMetadata> lastCommitted = new ConcurrentHashMap<>();

        FlakyCommits() {
            super("earliest");
        }

        @Override
        public synchronized void commitAsync(
                Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
            if (failures.getAndDecrement() > 0) {
                failed.incrementAndGet();
                callback.onComplete(offsets, new RetriableCommitFailedException("coordinator moved"));
                return;
            }
            super.commitAsync(offsets, (committed, error) -> {
                if (error == null) {
                    lastCommitted.putAll(offsets);
                }
                callback.onComplete(committed, error);
            });
        }

        @Override
        public synchronized void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
            super.commitSync(offsets, timeout);
            lastCommitted.putAll(offsets);
        }
    }

    /**
     * Refuses records over {@link #PRODUCER_LIMIT} at send time, like the real producer's {@code max.request.size}
     * check; in a transaction such a refusal makes the commit fail, as the real producer's abortable error does.
     */
    private static final class SizeLimitedProducer extends MockProducer<byte[], byte[]> {

        final AtomicInteger refused = new AtomicInteger();
        final AtomicInteger aborts = new AtomicInteger();
        private RecordTooLargeException failedInTransaction;

        SizeLimitedProducer(boolean autoComplete) {
            super(autoComplete, null, new ByteArraySerializer(), new ByteArraySerializer());
        }

        @Override
        public synchronized Future<RecordMetadata> send(ProducerRecord<byte[], byte[]> record, Callback callback) {
            if (record.value() != null && record.value().length > PRODUCER_LIMIT) {
                refused.incrementAndGet();
                RecordTooLargeException e = new RecordTooLargeException("The message is " + record.value().length
                        + " bytes when serialized which is larger than " + PRODUCER_LIMIT);
                if (transactionInFlight()) {
                    failedInTransaction = e;
                }
                callback.onCompletion(null, e);
                return CompletableFuture.failedFuture(e);
            }
            return super.send(record, callback);
        }

        @Override
        public synchronized void commitTransaction() {
            if (failedInTransaction != null) {
                KafkaException e = new KafkaException(
                        "Cannot execute transactional method because we are in an " + "error state",
                        failedInTransaction);
                failedInTransaction = null;
                throw e;
            }
            super.commitTransaction();
        }

        @Override
        public synchronized void abortTransaction() {
            aborts.incrementAndGet();
            failedInTransaction = null;
            super.abortTransaction();
        }
    }
}
