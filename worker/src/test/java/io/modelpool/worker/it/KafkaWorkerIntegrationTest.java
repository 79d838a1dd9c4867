package io.modelpool.worker.it;

import static io.modelpool.worker.it.Fixtures.committed;
import static io.modelpool.worker.it.Fixtures.createTopics;
import static io.modelpool.worker.it.Fixtures.drainTopic;
import static io.modelpool.worker.it.Fixtures.freshPrefix;
import static io.modelpool.worker.it.Fixtures.request;
import static io.modelpool.worker.it.Fixtures.send;
import static io.modelpool.worker.it.Fixtures.sentences;
import static io.modelpool.worker.it.Fixtures.stack;
import static io.modelpool.worker.it.Fixtures.workerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker end to end through a real broker, the devstack schema registry and the real MiniLM model: requests in,
 * results out, offsets committed only behind acknowledged outcomes.
 */
class KafkaWorkerIntegrationTest {

    private static final String MODEL = "all-minilm-l6-v2-q";

    private final List<Worker> workers = new ArrayList<>();

    @AfterEach
    void stopWorkers() throws InterruptedException {
        for (Worker w : workers) {
            w.beginShutdown();
            w.awaitShutdown();
        }
    }

    private Worker startWorker(String prefix, Map<String, String> overrides) {
        Worker w = Worker.start(WorkerConfig.of(workerSettings(prefix, overrides)), IntakeListener.NONE);
        workers.add(w);
        return w;
    }

    @Test
    void everyRequestGetsExactlyOneResultMatchingItsIdWithTheRightVector() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 4);
        Worker worker = startWorker(prefix, Map.of());
        int n = 5000;
        List<String> texts = sentences(n, 7);
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            for (int i = 0; i < n; i++) {
                send(producer, requests, null, request("r-" + i, MODEL, List.of(texts.get(i))));
            }
        }

        Map<String, List<TextEmbeddingResult>> results = new ConcurrentHashMap<>();
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer()) {
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        drainTopic(
                                consumer,
                                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                                r -> results.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                                        .add(r.value()));
                        return results.size() >= n;
                    });
            // Nothing more arrives: exactly one result per request.
            drainTopic(
                    consumer,
                    Topics.results(prefix, Capability.TEXT_EMBEDDING),
                    r -> results.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                            .add(r.value()));
        }
        assertThat(results).hasSize(n);
        assertThat(results.values()).allSatisfy(list -> assertThat(list).hasSize(1));
        for (int i = 0; i < n; i++) {
            TextEmbeddingResult r = results.get("r-" + i).get(0);
            assertThat(r.getRequestId()).isEqualTo("r-" + i);
            assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
            assertThat(r.getPayload().getEmbeddings()).hasSize(1);
            assertThat(r.getTimings().getEndToEndMs())
                    .isGreaterThanOrEqualTo(r.getTimings().getInferenceMs());
        }

        // Spot-check vectors against the same model called directly, without Kafka.
        for (int i : new int[] {0, 1234, 4999}) {
            TextEmbeddingResult direct = (TextEmbeddingResult) worker.capabilities()
                    .service(Capability.TEXT_EMBEDDING)
                    .handle(request("direct-" + i, MODEL, List.of(texts.get(i))), new RequestContext("test", 0))
                    .get(30, TimeUnit.SECONDS)
                    .record();
            List<Float> expected = direct.getPayload().getEmbeddings().get(0).getVector();
            List<Float> actual = results.get("r-" + i)
                    .get(0)
                    .getPayload()
                    .getEmbeddings()
                    .get(0)
                    .getVector();
            assertThat(cosine(actual, expected)).as("vector of r-%d", i).isGreaterThanOrEqualTo(0.9999);
        }
    }

    @Test
    void poisonPillsAreDeadLetteredWhileTheGoodRecordsAroundThemAreAnswered() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 1);
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        byte[] randomBytes = new byte[64];
        new Random(1).nextBytes(randomBytes);
        byte[] unknownSchemaId =
                ByteBuffer.allocate(9).put((byte) 0).putInt(987_654).putInt(42).array();
        byte[] truncatedFrame = {0, 0, 0};
        List<byte[]> poisons = List.of(randomBytes, unknownSchemaId, truncatedFrame);

        try (KafkaProducer<String, TextEmbeddingRequest> good = Fixtures.requestProducer();
                KafkaProducer<byte[], byte[]> raw = Fixtures.rawProducer()) {
            int id = 0;
            for (int round = 0; round < 4; round++) {
                for (int i = 0; i < 5; i++, id++) {
                    send(good, requests, 0, request("good-" + id, MODEL, List.of("sentence number " + id)));
                }
                good.flush();
                if (round < poisons.size()) {
                    raw.send(new ProducerRecord<>(
                                    requests,
                                    0,
                                    ("poison-" + round).getBytes(StandardCharsets.UTF_8),
                                    poisons.get(round),
                                    new RecordHeaders().add("trace-id", new byte[] {(byte) round})))
                            .get();
                } else {
                    raw.send(new ProducerRecord<>(requests, 0, "tombstone".getBytes(StandardCharsets.UTF_8), null))
                            .get();
                }
            }
        }
        startWorker(prefix, Map.of());

        Map<String, TextEmbeddingResult> results = new ConcurrentHashMap<>();
        List<ConsumerRecord<byte[], byte[]>> deadLetters = new CopyOnWriteArrayList<>();
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer();
                KafkaConsumer<byte[], byte[]> dlq = Fixtures.rawConsumer()) {
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        drainTopic(
                                consumer,
                                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                                r -> results.put(r.key(), r.value()));
                        drainTopic(dlq, Topics.deadLetters(prefix), deadLetters::add);
                        return results.size() >= 20 && deadLetters.size() >= 4;
                    });
        }
        assertThat(results).hasSize(20);
        assertThat(results.values()).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ResultStatus.OK));
        assertThat(deadLetters).hasSize(4);

        Deserializer<DeadLetter> envelope =
                ConfluentAvroSerde.specificDeserializer(DeadLetter.class, Fixtures.registryConfig(), false);
        Map<String, DeadLetter> byKey = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : deadLetters) {
            assertThat(r.headers().lastHeader("modelpool.error.class")).isNotNull();
            assertThat(r.headers().lastHeader("modelpool.error.source.topic").value())
                    .asString(StandardCharsets.UTF_8)
                    .isEqualTo(requests);
            byKey.put(new String(r.key(), StandardCharsets.UTF_8), envelope.deserialize(r.topic(), r.value()));
        }
        for (int round = 0; round < poisons.size(); round++) {
            DeadLetter dl = byKey.get("poison-" + round);
            assertThat(dl.getSourceTopic()).isEqualTo(requests);
            assertThat(bytes(dl.getOriginalValue())).isEqualTo(poisons.get(round));
            assertThat(dl.getErrorMessage()).isNotBlank();
        }
        assertThat(byKey.get("poison-0").getErrorClass()).endsWith("WrongMagicByteException");
        assertThat(byKey.get("poison-1").getErrorClass()).endsWith("UnknownSchemaIdException");
        assertThat(byKey.get("poison-2").getErrorClass()).endsWith("TruncatedPayloadException");
        assertThat(byKey.get("tombstone").getOriginalValue()).isNull();
        // The original headers travel with the dead letter.
        ConsumerRecord<byte[], byte[]> first = deadLetters.stream()
                .filter(r -> new String(r.key(), StandardCharsets.UTF_8).equals("poison-1"))
                .findFirst()
                .orElseThrow();
        assertThat(first.headers().lastHeader("trace-id").value()).containsExactly(1);

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack().bootstrapServers()))) {
            TopicPartition p0 = new TopicPartition(requests, 0);
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(committed(admin, prefix + "-workers"))
                            .as("the partition moved past every record, poison included")
                            .containsEntry(p0, new OffsetAndMetadata(24)));
        }
    }

    @Test
    void invalidRequestsAreAnsweredWithTypedErrorResults() {
        String prefix = freshPrefix();
        createTopics(prefix, 2);
        startWorker(prefix, Map.of());
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            send(producer, requests, null, request("unknown-model", "no-such-model", List.of("hello")));
            send(producer, requests, null, request("empty-list", MODEL, List.of()));
            TextEmbeddingRequest expired = request("expired", MODEL, List.of("too late"));
            expired.setDeadline(Instant.now().minusSeconds(60));
            send(producer, requests, null, expired);
            send(producer, requests, null, request("fine", MODEL, List.of("on time")));
        }
        Map<String, TextEmbeddingResult> results = new ConcurrentHashMap<>();
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer()) {
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        drainTopic(
                                consumer,
                                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                                r -> results.put(r.key(), r.value()));
                        return results.size() >= 4;
                    });
        }
        assertThat(results.get("unknown-model").getError().getCode()).isEqualTo(ErrorCode.UNKNOWN_MODEL);
        assertThat(results.get("empty-list").getError().getCode()).isEqualTo(ErrorCode.EMPTY_INPUT);
        assertThat(results.get("expired").getError().getCode()).isEqualTo(ErrorCode.EXPIRED);
        assertThat(results.get("expired").getTimings().getInferenceMs()).isZero();
        assertThat(results.get("fine").getStatus())
                .as("fine: %s", results.get("fine").getError())
                .isEqualTo(ResultStatus.OK);
        assertThat(results.values()).allSatisfy(r -> assertThat(r.getWorkerId()).startsWith(prefix));
    }

    @Test
    void theCommittedOffsetNeverPassesAnUnfinishedRecord() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 1);
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        List<String> texts = sentences(3000, 11);
        int n = 400;
        // Requests of 40 long texts take far longer than single short texts queued after them, so completions
        // arrive out of offset order.
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            for (int i = 0; i < n; i++) {
                List<String> body = i % 10 == 0 ? texts.subList(i, i + 40) : List.of("short " + i);
                TextEmbeddingRequest r = request("o-" + i, MODEL, body);
                producer.send(new ProducerRecord<>(
                        requests,
                        0,
                        r.getId(),
                        r,
                        new RecordHeaders().add("correlation-id", ("c-" + i).getBytes(StandardCharsets.UTF_8))));
            }
        }
        // A commit observed, then the result topic read to its end: every offset below the committed position must
        // have its result there already, since the worker commits only behind the broker's acknowledgement (which
        // makes the result readable). CreateTime could not show this: a result is stamped when sent, before its
        // acknowledgement, so a commit between send and acknowledgement would pass a timestamp check.
        record Sample(long committed, List<Integer> missing) {}
        List<Sample> samples = new CopyOnWriteArrayList<>();
        Map<String, ConsumerRecord<String, TextEmbeddingResult>> results = new ConcurrentHashMap<>();
        TopicPartition p0 = new TopicPartition(requests, 0);
        startWorker(prefix, Map.of(WorkerConfig.COMMIT_INTERVAL_MS, "20"));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack().bootstrapServers()));
                KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer()) {
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        OffsetAndMetadata c =
                                committed(admin, prefix + "-workers").get(p0);
                        readToEnd(
                                consumer,
                                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                                r -> results.put(r.key(), r));
                        if (c != null) {
                            List<Integer> missing = new ArrayList<>();
                            for (int i = 0; i < c.offset(); i++) {
                                if (!results.containsKey("o-" + i)) {
                                    missing.add(i);
                                }
                            }
                            samples.add(new Sample(c.offset(), missing));
                        }
                        return c != null && c.offset() == n && results.size() == n;
                    });
        }
        assertThat(samples).isNotEmpty();
        assertThat(samples)
                .as("no committed position was observed ahead of a result in the result topic")
                .allSatisfy(sample -> assertThat(sample.missing())
                        .as("offsets below commit %d without a result", sample.committed())
                        .isEmpty());
        long outOfOrder = 0;
        for (int i = 1; i < n; i++) {
            if (results.get("o-" + i).timestamp() < results.get("o-" + (i - 1)).timestamp()) {
                outOfOrder++;
            }
        }
        assertThat(outOfOrder).as("completions arrived out of offset order").isPositive();
        assertThat(results.get("o-7").headers().lastHeader("correlation-id").value())
                .asString(StandardCharsets.UTF_8)
                .isEqualTo("c-7");
    }

    /** Reads {@code topic} up to the end offsets it has now: everything acknowledged so far. */
    private static <K, V> void readToEnd(
            KafkaConsumer<K, V> consumer, String topic, java.util.function.Consumer<ConsumerRecord<K, V>> sink) {
        drainTopic(consumer, topic, sink);
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10));
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            consumer.poll(Duration.ofMillis(50)).forEach(sink);
        }
    }

    @Test
    void aLoneResultLeavesAtOnceWhileTheResultsOfABurstLeaveTogether() {
        String prefix = freshPrefix();
        createTopics(prefix, 4);
        // A linger far longer than any answer takes: a result that waited for it would show in its end-to-end time.
        Worker worker = startWorker(
                prefix, Map.of(WorkerConfig.PUBLISH_LINGER_MS, "5000", WorkerConfig.PUBLISH_MAX_RECORDS, "64"));
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        String results = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        Map<String, TextEmbeddingResult> answered = new ConcurrentHashMap<>();
        int n = 400;
        double requestsBefore;
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer();
                KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer()) {
            send(producer, requests, null, request("lone", MODEL, List.of("a single request on an idle worker")));
            producer.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        drainTopic(consumer, results, r -> answered.put(r.key(), r.value()));
                        return answered.containsKey("lone");
                    });
            assertThat(answered.get("lone").getTimings().getEndToEndMs())
                    .as("nothing else was computing, so the result did not wait for the linger")
                    .isLessThan(5000);

            requestsBefore = producerMeter(worker, "kafka.producer.request.total");
            List<String> texts = sentences(n, 5);
            for (int i = 0; i < n; i++) {
                send(producer, requests, null, request("burst-" + i, MODEL, List.of(texts.get(i))));
            }
            producer.flush();
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        drainTopic(consumer, results, r -> answered.put(r.key(), r.value()));
                        return answered.size() >= n + 1;
                    });
        }
        assertThat(answered).hasSize(n + 1);
        // One produce request per result without the gate (one text per session run finishes one at a time); with
        // it, results wait for each other while others compute and leave up to 64 at a time.
        assertThat(producerMeter(worker, "kafka.producer.request.total") - requestsBefore)
                .as("produce requests for %d results", n)
                .isLessThanOrEqualTo(n / 4.0);
    }

    /** The summed value of one of the worker's Kafka producer meters (a Kafka client metric bound to Micrometer). */
    private static double producerMeter(Worker worker, String name) {
        return worker.observability().registry().find(name).meters().stream()
                .flatMap(m -> java.util.stream.StreamSupport.stream(m.measure().spliterator(), false))
                .mapToDouble(io.micrometer.core.instrument.Measurement::getValue)
                .sum();
    }

    private static double cosine(List<Float> a, List<Float> b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.size(); i++) {
            dot += a.get(i) * b.get(i);
            na += a.get(i) * a.get(i);
            nb += b.get(i) * b.get(i);
        }
        return dot / Math.sqrt(na * nb);
    }

    private static byte[] bytes(ByteBuffer buffer) {
        ByteBuffer b = buffer.duplicate();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }
}
