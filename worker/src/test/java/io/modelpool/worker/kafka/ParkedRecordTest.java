package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A record whose writer schema is still being looked up is parked, not waited for: on Kafka's MockConsumer and
 * MockProducer, with the real Confluent serde on the devstack's registry, whose lookup the test holds back (the
 * codec's {@code prepare} returns a future the test completes, standing for a slow or unreachable registry).
 */
class ParkedRecordTest {

    private static final String PREFIX = "park" + UUID.randomUUID().toString().substring(0, 8);
    private static final String REQUESTS = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);
    private static final TopicPartition TP = new TopicPartition(REQUESTS, 0);
    private static final int UNKNOWN_ID = 1_777_000_001;

    private final MockConsumer<byte[], byte[]> consumer = new MockConsumer<>("earliest");
    private final MockProducer<byte[], byte[]> producer =
            new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    private final AtomicInteger prepared = new AtomicInteger();
    private final AtomicInteger received = new AtomicInteger();
    private volatile CompletableFuture<Void> lookup = new CompletableFuture<>();
    private PoolGroup capabilities;
    private SerdeCodec serde;
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
        if (serde != null) {
            serde.close();
        }
    }

    @Test
    void theRecordsAfterAPendingLookupGoOnAndNothingIsCommittedPastItUntilItIsDeadLettered() {
        start();
        feed(unknownId(), garbage(), garbage());

        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);
        assertThat(sourceOffsets()).as("the two records after the pending one").containsExactly(1L, 2L);
        assertThat(committed()).as("the commit stays at the parked record").isZero();

        lookup.complete(null);

        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 3L);
        assertThat(producer.history()).hasSize(3);
        assertThat(errorClass(producer.history().get(2))).endsWith("UnknownSchemaIdException");
    }

    @Test
    void aRecordWhoseSchemaIsKnownNeverPassesAParkedRecordOfItsPartitionWhoseLookupHasAnswered() {
        start();
        // The lookup answers between the turn's resume of parked records and the next record's own lookup: the
        // later record must queue behind the parked one, or a handoff would answer it twice (it would be committed
        // only once the parked one is, and the parked one is left untaken at a shutdown)
        feed(unknownId(), answersTheLookupThenGarbage());

        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 2);
        assertThat(sourceOffsets()).as("in partition order").containsExactly(0L, 1L);
        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2L);
    }

    @Test
    void recordsWaitingOnOneLookupAreTakenInTheirPartitionsOrderWhenItAnswers() {
        start();
        int half = 250;
        feedFrom(0, half);
        await().atMost(Duration.ofSeconds(20)).until(() -> consumer.position(TP) == half);
        // Callbacks on a future run in reverse order of registration: one registered between the two halves and
        // slow to return keeps the first half waiting 300 ms after the second, were each record a callback of its own
        lookup.whenComplete(
                (found, failure) -> await().pollDelay(Duration.ofMillis(300)).until(() -> true));
        feedFrom(half, half);
        await().atMost(Duration.ofSeconds(20)).until(() -> consumer.position(TP) == 2 * half);

        lookup.complete(null);

        await().atMost(Duration.ofSeconds(60)).until(() -> producer.history().size() == 2 * half);
        assertThat(sourceOffsets()).as("dead-lettered in offset order").isSorted();
        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2 * half);
    }

    @Test
    void aLookupThatFailsIsTriedAgainAfterTheBackoffAndTheRecordIsNeverDeadLetteredMeanwhile() {
        start();
        feed(unknownId(), garbage());
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 1);

        CompletableFuture<Void> failed = lookup;
        lookup = new CompletableFuture<>();
        failed.completeExceptionally(new RecordCodec.DependencyUnavailableException("registry down", null));

        await().atMost(Duration.ofSeconds(20)).until(() -> prepared.get() == 2);
        assertThat(producer.history())
                .as("only the garbage record's dead letter")
                .hasSize(1);
        assertThat(committed()).isZero();

        lookup.complete(null);
        await().atMost(Duration.ofSeconds(20)).until(() -> committed() == 2L);
        assertThat(errorClass(producer.history().get(1))).endsWith("UnknownSchemaIdException");
    }

    @Test
    void aParkedRecordOfARevokedPartitionIsDroppedNotCommitted() {
        start();
        feed(unknownId(), garbage());
        await().atMost(Duration.ofSeconds(20)).until(() -> producer.history().size() == 1);

        consumer.schedulePollTask(() -> consumer.rebalance(List.of()));
        await().atMost(Duration.ofSeconds(20)).until(() -> !intake.hasAssignment());
        lookup.complete(null);

        await("no dead letter for the record the partition's next owner reads")
                .during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(20))
                .until(() -> producer.history().size() == 1);
        assertThat(intake.unfinished()).isZero();
    }

    @Test
    void atTheParkingBoundNoFurtherRecordIsTakenUntilTheLookupsAnswer() {
        // A record bound above the flood: MockConsumer hands out a rewound record only once.
        start(Dispatcher.MAX_PARKED_RECORDS + 1_000);
        int flood = Dispatcher.MAX_PARKED_RECORDS + 100;
        byte[][] values = new byte[flood][];
        Arrays.fill(values, unknownId());
        feed(values);

        await().atMost(Duration.ofSeconds(60)).until(() -> consumer.position(TP) == Dispatcher.MAX_PARKED_RECORDS);
        await("the bound holds")
                .during(Duration.ofMillis(500))
                .atMost(Duration.ofSeconds(20))
                .until(() -> consumer.position(TP) == Dispatcher.MAX_PARKED_RECORDS);
        assertThat(received)
                .as("a parked record is received when it is taken, after its lookup")
                .hasValue(0);
        assertThat(producer.history()).isEmpty();
        assertThat(consumer.position(TP))
                .as("rewound to the first record not taken")
                .isEqualTo(Dispatcher.MAX_PARKED_RECORDS);

        lookup.complete(null);
        await().atMost(Duration.ofSeconds(120)).until(() -> committed() == Dispatcher.MAX_PARKED_RECORDS);
        // A real consumer fetches the rewound records again; MockConsumer hands out each added record once.
        consumer.schedulePollTask(() -> {
            for (int i = Dispatcher.MAX_PARKED_RECORDS; i < flood; i++) {
                consumer.addRecord(new ConsumerRecord<>(REQUESTS, 0, i, new byte[] {1}, unknownId()));
            }
        });

        await().atMost(Duration.ofSeconds(60)).until(() -> committed() == flood);
        assertThat(producer.history())
                .hasSize(flood)
                .allSatisfy(r -> assertThat(errorClass(r)).endsWith("UnknownSchemaIdException"));
    }

    private void start() {
        start(64);
    }

    private void start(int highWater) {
        capabilities = CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:process/minilm.yaml"));
        IntakeSettings settings = IntakeSettings.builder()
                .workerId("unit-worker")
                .topicPrefix(PREFIX)
                .maxRequestBytes(1_000_000)
                .deadLetterMaxValueBytes(256 * 1024)
                .permanentFailureAttempts(3)
                .highWater(highWater)
                .lowWater(16)
                .pollTimeout(Duration.ofMillis(5))
                .commitInterval(Duration.ofMillis(10))
                .retryBackoff(Duration.ofMillis(50))
                .retryBackoffMax(Duration.ofMillis(100))
                .drainTimeout(Duration.ofMillis(500))
                .closeTimeout(Duration.ofSeconds(1))
                .leaveGroupOnClose(true)
                .guarantee(Guarantee.AT_LEAST_ONCE)
                .transactionInterval(Duration.ofMillis(20))
                .transactionMaxRecords(100)
                .publishLinger(Duration.ZERO)
                .publishMaxRecords(16)
                .workBudgetShare(0.5)
                .maxInFlightBytes(64L * 1024 * 1024)
                .build();
        serde = new SerdeCodec(
                Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl()),
                PREFIX,
                Set.of(Capability.TEXT_EMBEDDING));
        RecordCodec codec = new RecordCodec() {
            @Override
            public CompletableFuture<Void> prepare(String topic, byte[] value) {
                if (value != null
                        && value.length > 4
                        && ByteBuffer.wrap(value, 1, 4).getInt() == UNKNOWN_ID) {
                    prepared.incrementAndGet();
                    return lookup;
                }
                if (Arrays.equals(value, answersTheLookupThenGarbage())) {
                    lookup.complete(null);
                }
                return serde.prepare(topic, value);
            }

            @Override
            public SpecificRecord decode(String topic, Headers headers, byte[] value) {
                return serde.decode(topic, headers, value);
            }

            @Override
            public byte[] encode(String topic, Headers headers, SpecificRecord value) {
                return serde.encode(topic, headers, value);
            }
        };
        intake = new Intake(settings, capabilities, consumer, producer, codec, new IntakeListener() {
            @Override
            public void received(Capability capability) {
                received.incrementAndGet();
            }
        });
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
                consumer.addRecord(new ConsumerRecord<>(REQUESTS, 0, i, new byte[] {1}, values[i]));
            }
        });
    }

    /** Feeds {@code count} records with an unknown schema id, from {@code offset} on. */
    private void feedFrom(long offset, int count) {
        consumer.schedulePollTask(() -> {
            for (int i = 0; i < count; i++) {
                consumer.addRecord(new ConsumerRecord<>(REQUESTS, 0, offset + i, new byte[] {1}, unknownId()));
            }
        });
    }

    private long committed() {
        OffsetAndMetadata c = consumer.committed(Set.of(TP)).get(TP);
        return c == null ? -1 : c.offset();
    }

    private List<Long> sourceOffsets() {
        return producer.history().stream()
                .map(r -> Long.parseLong(new String(
                        r.headers().lastHeader("modelpool.error.source.offset").value(), StandardCharsets.UTF_8)))
                .toList();
    }

    private static String errorClass(ProducerRecord<byte[], byte[]> deadLetter) {
        return new String(
                deadLetter.headers().lastHeader("modelpool.error.class").value(), StandardCharsets.UTF_8);
    }

    private static byte[] unknownId() {
        return ByteBuffer.allocate(9)
                .put((byte) 0)
                .putInt(UNKNOWN_ID)
                .putInt(42)
                .array();
    }

    /** Garbage whose {@code prepare} first answers the pending lookup of {@link #unknownId()}. */
    private static byte[] answersTheLookupThenGarbage() {
        return new byte[] {0x7e, 1, 2, 3};
    }

    private static byte[] garbage() {
        return new byte[] {0x7f, 1, 2, 3};
    }
}
