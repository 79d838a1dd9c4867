package io.modelpool.worker.it;

import static io.modelpool.worker.it.Fixtures.committed;
import static io.modelpool.worker.it.Fixtures.createTopics;
import static io.modelpool.worker.it.Fixtures.drainTopic;
import static io.modelpool.worker.it.Fixtures.freshPrefix;
import static io.modelpool.worker.it.Fixtures.request;
import static io.modelpool.worker.it.Fixtures.stack;
import static io.modelpool.worker.it.Fixtures.workerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A flood of records with distinct schema ids the registry never issued, interleaved with good requests, through a
 * real broker, the devstack registry and the real MiniLM model. Registry lookups are rate-limited (200 a second here)
 * and run off the intake thread, so the flood takes several seconds of lookups while the good records in the same
 * partitions are answered at once.
 */
class DistinctSchemaIdFloodTest {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final int DISTINCT = 1_000;
    private static final int REPEATED = 200;
    private static final int GOOD_EVERY = 10;

    private Worker worker;

    @AfterEach
    void stop() throws InterruptedException {
        if (worker != null) {
            worker.beginShutdown();
            worker.awaitShutdown();
        }
    }

    @Test
    void everyUnknownIdIsDeadLetteredAndTheGoodRecordsBetweenThemAreAnsweredWithoutWaitingForTheFlood()
            throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 2);
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        Serializer<TextEmbeddingRequest> serializer =
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, Fixtures.registryConfig(), false);
        int good = 0;
        int hostile = 0;
        long[] perPartition = new long[2];
        try (KafkaProducer<byte[], byte[]> raw = Fixtures.rawProducer()) {
            for (int i = 0; i < DISTINCT + REPEATED; i++) {
                // Distinct ids first, then one unknown id again and again (one lookup, then the negative cache).
                int unknownId = i < DISTINCT ? 1_900_000_000 + i : 1_999_999_999;
                byte[] value = ByteBuffer.allocate(9)
                        .put((byte) 0)
                        .putInt(unknownId)
                        .putInt(42)
                        .array();
                raw.send(new ProducerRecord<>(requests, i % 2, key("h-" + i), value));
                perPartition[i % 2]++;
                hostile++;
                if (i % GOOD_EVERY == GOOD_EVERY - 1) {
                    String id = "g-" + i;
                    int partition = (i / GOOD_EVERY) % 2;
                    raw.send(new ProducerRecord<>(
                            requests,
                            partition,
                            key(id),
                            serializer.serialize(requests, request(id, MODEL, List.of("sentence " + i)))));
                    perPartition[partition]++;
                    good++;
                }
            }
            raw.flush();
        }
        worker = Worker.start(
                WorkerConfig.of(workerSettings(prefix, Map.of(WorkerConfig.SCHEMA_LOOKUPS_PER_SECOND, "200"))),
                IntakeListener.NONE);

        Map<String, ConsumerRecord<String, TextEmbeddingResult>> results = new ConcurrentHashMap<>();
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new CopyOnWriteArrayList<>();
        int expectedGood = good;
        int expectedHostile = hostile;
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer();
                KafkaConsumer<byte[], byte[]> dlq = Fixtures.rawConsumer()) {
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(100))
                    .until(() -> {
                        drainTopic(
                                consumer,
                                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                                r -> results.put(r.key(), r));
                        drainTopic(dlq, Topics.deadLetters(prefix), deadLetters::add);
                        return results.size() >= expectedGood && deadLetters.size() >= expectedHostile;
                    });
        }

        assertThat(results).hasSize(good);
        assertThat(results.values())
                .allSatisfy(r -> assertThat(r.value().getStatus()).isEqualTo(ResultStatus.OK));
        Map<String, String> errorClass = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            errorClass.put(
                    new String(r.key(), StandardCharsets.UTF_8),
                    new String(r.headers().lastHeader("modelpool.error.class").value(), StandardCharsets.UTF_8));
        }
        assertThat(errorClass).as("one dead letter per hostile record").hasSize(hostile);
        assertThat(errorClass.values()).allSatisfy(c -> assertThat(c).endsWith("UnknownSchemaIdException"));

        long firstGoodAnswered = results.values().stream()
                .mapToLong(ConsumerRecord::timestamp)
                .min()
                .orElseThrow();
        long lastDeadLetter =
                deadLetters.stream().mapToLong(ConsumerRecord::timestamp).max().orElseThrow();
        assertThat(firstGoodAnswered)
                .as("good records did not wait for the flood's lookups (at 200 a second)")
                .isLessThan(lastDeadLetter);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack().bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(committed(admin, prefix + "-workers"))
                            .as("both partitions committed past every record")
                            .containsEntry(new TopicPartition(requests, 0), new OffsetAndMetadata(perPartition[0]))
                            .containsEntry(new TopicPartition(requests, 1), new OffsetAndMetadata(perPartition[1])));
        }
    }

    private static byte[] key(String id) {
        return id.getBytes(StandardCharsets.UTF_8);
    }
}
