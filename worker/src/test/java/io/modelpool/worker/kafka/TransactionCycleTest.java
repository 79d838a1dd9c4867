package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.v1.Capability;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The transaction cycle on the devstack's real broker: what read_committed readers and the group see. */
class TransactionCycleTest {

    private final DevStack stack = SharedDevStack.get();
    private final String prefix = "tx" + UUID.randomUUID().toString().substring(0, 8);
    private final String out = prefix + ".out";
    private final String group = prefix + "-group";
    private final TopicPartition source = new TopicPartition(prefix + ".in", 0);
    private final List<KafkaProducer<byte[], byte[]>> producers = new ArrayList<>();
    private Admin admin;

    @BeforeEach
    void topics() throws Exception {
        admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()));
        stack.createTopics(Map.of(out, 1, source.topic(), 1));
    }

    @AfterEach
    void close() {
        producers.forEach(p -> p.close(Duration.ofSeconds(5)));
        admin.close(Duration.ofSeconds(5));
    }

    private KafkaProducer<byte[], byte[]> producer(String transactionalId) {
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrapServers(),
                        ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                        transactionalId),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        producers.add(p);
        return p;
    }

    private static InFlight inFlight(long offset) {
        return new InFlight(
                new TopicPartition("in", 0),
                offset,
                0,
                Capability.TEXT_EMBEDDING,
                0,
                new RecordHeaders(),
                null,
                DeadLetters.Original.TOMBSTONE);
    }

    private void send(TransactionCycle cycle, String value, long offset) {
        cycle.send(new ProducerRecord<>(out, value.getBytes(StandardCharsets.UTF_8)), inFlight(offset));
    }

    private List<String> read(String isolation) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try (KafkaConsumer<String, String> consumer =
                new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(out, 0);
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            List<String> values = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> values.add(r.value()));
            }
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
            return values;
        }
    }

    private Long committedOffset() throws Exception {
        OffsetAndMetadata om = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS)
                .get(source);
        return om == null ? null : om.offset();
    }

    @Test
    void aCommittedTransactionPublishesItsOutcomesAndItsOffsetsTogether() throws Exception {
        TransactionCycle cycle = new TransactionCycle(producer(prefix + "-a"), Duration.ofSeconds(10), 100);
        cycle.init();
        send(cycle, "r0", 0);
        send(cycle, "r1", 1);
        assertThat(read("read_committed"))
                .as("invisible while the transaction is open")
                .isEmpty();

        TransactionCycle.Outcome outcome =
                cycle.commit(Map.of(source, new OffsetAndMetadata(2)), new ConsumerGroupMetadata(group));

        assertThat(outcome).isInstanceOf(TransactionCycle.Committed.class);
        assertThat(outcome.records()).extracting(r -> r.offset).containsExactly(0L, 1L);
        assertThat(cycle.open()).isFalse();
        // the commit markers are written just after commitTransaction returns
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(read("read_committed")).containsExactly("r0", "r1"));
        assertThat(committedOffset()).isEqualTo(2L);
    }

    @Test
    void anAbortedTransactionIsNeverSeenByReadCommittedReadersAndCommitsNoOffset() throws Exception {
        TransactionCycle cycle = new TransactionCycle(producer(prefix + "-b"), Duration.ofSeconds(10), 100);
        cycle.init();
        send(cycle, "lost", 0);
        TransactionCycle.Outcome aborted = cycle.abort(new org.apache.kafka.common.KafkaException("partitions lost"));
        assertThat(aborted).isInstanceOf(TransactionCycle.Aborted.class);
        assertThat(aborted.records()).extracting(r -> r.offset).containsExactly(0L);

        send(cycle, "again", 0);
        assertThat(cycle.commit(Map.of(source, new OffsetAndMetadata(1)), new ConsumerGroupMetadata(group)))
                .isInstanceOf(TransactionCycle.Committed.class);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(read("read_committed")).containsExactly("again"));
        assertThat(committedOffset()).isEqualTo(1L);
    }

    @Test
    void aProducerFencedByANewerOneWithItsIdFailsFatallyAndCommitsNothing() throws Exception {
        String id = prefix + "-c";
        TransactionCycle zombie = new TransactionCycle(producer(id), Duration.ofSeconds(10), 100);
        zombie.init();
        send(zombie, "zombie", 0);
        producer(id).initTransactions();

        TransactionCycle.Outcome outcome =
                zombie.commit(Map.of(source, new OffsetAndMetadata(1)), new ConsumerGroupMetadata(group));

        assertThat(outcome)
                .isInstanceOfSatisfying(
                        TransactionCycle.Fatal.class,
                        f -> assertThat(f.fenced()).as("fenced: %s", f.cause()).isTrue());
        assertThat(read("read_committed")).isEmpty();
        assertThat(committedOffset()).isNull();
    }

    @Test
    void aTransactionIsDueWhenItIsOldEnoughOrFull() {
        TransactionCycle cycle = new TransactionCycle(producer(prefix + "-d"), Duration.ofHours(1), 2);
        cycle.init();
        assertThat(cycle.due(System.currentTimeMillis())).as("none open").isFalse();
        send(cycle, "a", 0);
        assertThat(cycle.due(System.currentTimeMillis())).isFalse();
        assertThat(cycle.due(System.currentTimeMillis() + Duration.ofHours(1).toMillis()))
                .as("old enough")
                .isTrue();
        send(cycle, "b", 1);
        assertThat(cycle.full()).isTrue();
        assertThat(cycle.due(System.currentTimeMillis())).as("full").isTrue();
        assertThat(cycle.commit(Map.of(), new ConsumerGroupMetadata(group)))
                .isInstanceOf(TransactionCycle.Committed.class);
    }

    @Test
    void fencingIsRecognisedBehindTheProducersErrorStateAndBehindAFailedAbort() {
        KafkaException errorState = new KafkaException(
                "Cannot execute transactional method because we are in an " + "error state",
                new ProducerFencedException("fenced"));
        assertThat(TransactionCycle.isFenced(errorState))
                .as("the cause of an error-state exception")
                .isTrue();

        IllegalStateException abortFailed = new IllegalStateException("cannot abort");
        abortFailed.addSuppressed(new KafkaException("send failed", new InvalidPidMappingException("remapped")));
        assertThat(TransactionCycle.isFenced(abortFailed))
                .as("the first failure, kept as suppressed")
                .isTrue();
        assertThat(TransactionCycle.isFatal(abortFailed)).isTrue();
        assertThat(TransactionCycle.describe(abortFailed))
                .as("the log line names the first failure too")
                .contains("cannot abort")
                .contains("; after ")
                .contains("InvalidPidMappingException: remapped");

        KafkaException other = new KafkaException(
                "Cannot execute transactional method because we are in an error " + "state",
                new InvalidTxnStateException("state"));
        assertThat(TransactionCycle.isFenced(other))
                .as("not every error state is a takeover")
                .isFalse();
        assertThat(TransactionCycle.describe(other))
                .contains("error state")
                .contains("caused by")
                .contains("InvalidTxnStateException");
    }
}
