package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.DevStack;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4: hostile bytes on the request topic, built by hand and interleaved with good requests in the same
 * partitions. The worker must not crash or run out of memory (allocation is bounded before decoding), must dead-letter
 * or answer with an error every hostile record, and must answer every good record as usual.
 *
 * <p>Short form: 3,000 hostile records; full form: 100,000. One good request follows every ten hostile ones.
 */
@Tag("reliability")
class HostileInputTest {

    /** What a hostile record is, and what the worker must do with it. */
    enum Kind {
        /** Random bytes, 0 to 256 of them: not Confluent framing (or, by chance, framing of nothing). */
        RANDOM_BYTES(true),
        /** A valid frame cut short at a random length. */
        TRUNCATED_FRAME(true),
        /** Confluent framing with a schema id the registry never handed out, then a valid body. */
        UNKNOWN_SCHEMA_ID(true),
        /** Valid framing and schema id; the request id's length prefix declares a 100 MB string. */
        ABSURD_STRING_LENGTH(true),
        /** Valid fields up to the texts array, whose block declares 10^9 elements. */
        ABSURD_ARRAY_LENGTH(true),
        /** A negative string length prefix. */
        NEGATIVE_LENGTH(true),
        /** A value over intake.max-request-bytes (8 KiB here): refused before any decoding. */
        OVER_SIZE_LIMIT(true),
        /** A record without a value. */
        TOMBSTONE(true),
        /** Valid Avro; no texts at all. */
        EMPTY_TEXTS(false),
        /** Valid Avro; more texts than the manifest's per-request limit (256). */
        TOO_MANY_TEXTS(false),
        /** Valid Avro; the model key is a path: requests cannot name files. */
        MODEL_AS_PATH(false),
        /** Valid Avro; a text of 3,000 nested brackets. Request schemas are not recursive, so this is the deepest
         * nesting a request can carry; it is an ordinary (if odd) text and is answered. */
        DEEPLY_NESTED_TEXT(false);

        final boolean deadLetter;

        Kind(boolean deadLetter) {
            this.deadLetter = deadLetter;
        }
    }

    private static final int MAX_REQUEST_BYTES = 8 * 1024;

    @Test
    @Timeout(value = 60, unit = TimeUnit.MINUTES)
    void hostileRecordsAreDeadLetteredOrAnsweredWithErrorsAndGoodRecordsInTheSamePartitionsAreAnswered() {
        int hostile = Scale.pick(3_000, 100_000);
        DevStack stack = Job.stack();
        Random random = new Random(7);
        int port = MetricsWatch.freePort();
        try (Job job = Job.create(stack, 6, false);
                KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
            Serializer<TextEmbeddingRequest> good = ConfluentAvroSerde.specificSerializer(
                    TextEmbeddingRequest.class, Map.of("schema.registry.url", stack.schemaRegistryUrl()), false);
            String topic = job.requestTopic();
            byte[] sample = good.serialize(topic, request("sample", Job.MODEL, List.of("a sample text.")));
            byte[] schemaId = Arrays.copyOfRange(sample, 1, 5);
            List<String> texts = job.shortTexts(997);
            Map<String, Kind> kinds = new HashMap<>();
            Set<String> goodIds = new HashSet<>();
            Kind[] all = Kind.values();
            for (int i = 0; i < hostile; i++) {
                Kind kind = all[i % all.length];
                String id = "h-" + i;
                kinds.put(id, kind);
                raw.send(new ProducerRecord<>(
                        topic,
                        id.getBytes(StandardCharsets.UTF_8),
                        hostileValue(kind, id, schemaId, sample, good, topic, random)));
                if (i % 10 == 9) {
                    String g = "g-" + i;
                    goodIds.add(g);
                    raw.send(new ProducerRecord<>(
                            topic,
                            g.getBytes(StandardCharsets.UTF_8),
                            good.serialize(topic, request(g, Job.MODEL, List.of(texts.get(i % texts.size()))))));
                }
            }
            raw.flush();

            Map<String, String> settings = new HashMap<>(job.workerSettings(
                    "hostile",
                    KillLoopTest.MANIFEST,
                    Map.of(
                            WorkerConfig.JOBS_TRACKER_ENABLED,
                            "false",
                            WorkerConfig.MAX_REQUEST_BYTES,
                            Integer.toString(MAX_REQUEST_BYTES),
                            WorkerConfig.HTTP_PORT,
                            Integer.toString(port),
                            WorkerConfig.HTTP_BIND_ADDRESS,
                            "127.0.0.1")));
            try (WorkerProcess worker = WorkerProcess.start(job.prefix() + "-hostile", settings);
                    MetricsWatch heap = MetricsWatch.start(port, 250, MetricsWatch::heapUsed)) {
                worker.awaitAssignment(Duration.ofSeconds(120));
                int expectedOutcomes = hostile + goodIds.size();
                await("every record dead-lettered or answered")
                        .atMost(Duration.ofMinutes(50))
                        .pollInterval(Duration.ofMillis(500))
                        .until(() -> {
                            assertThat(worker.isAlive())
                                    .as("the worker is alive")
                                    .isTrue();
                            return RawRecords.count(stack, job.deadLetterTopic())
                                            + RawRecords.count(stack, job.resultTopic())
                                    >= expectedOutcomes;
                        });

                Map<String, String> deadLettered = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> r : RawRecords.readAll(stack, job.deadLetterTopic())) {
                    Header errorClass = r.headers().lastHeader("modelpool.error.class");
                    deadLettered.put(
                            new String(r.key(), StandardCharsets.UTF_8),
                            errorClass == null ? "?" : new String(errorClass.value(), StandardCharsets.UTF_8));
                }
                Map<String, List<Job.Answer>> answers = job.answers();
                Map<Kind, int[]> outcomes = new EnumMap<>(Kind.class);
                for (Map.Entry<String, Kind> e : kinds.entrySet()) {
                    int[] o = outcomes.computeIfAbsent(e.getValue(), k -> new int[3]);
                    if (deadLettered.containsKey(e.getKey())) {
                        o[0]++;
                    } else if (answers.containsKey(e.getKey())) {
                        o[answers.get(e.getKey()).get(0).status() == ResultStatus.ERROR ? 1 : 2]++;
                    }
                }
                assertThat(kinds.entrySet())
                        .as("every hostile record has an outcome")
                        .allSatisfy(
                                e -> assertThat(deadLettered.containsKey(e.getKey()) || answers.containsKey(e.getKey()))
                                        .as("outcome of %s (%s)", e.getKey(), e.getValue())
                                        .isTrue());
                assertThat(kinds.entrySet())
                        .as("undecodable records are dead-lettered, decodable ones answered")
                        .allSatisfy(e -> assertThat(deadLettered.containsKey(e.getKey()))
                                .as("%s (%s) dead-lettered", e.getKey(), e.getValue())
                                .isEqualTo(e.getValue().deadLetter));
                assertThat(kinds.entrySet())
                        .as("invalid requests are answered with an error")
                        .filteredOn(e -> e.getValue() == Kind.EMPTY_TEXTS
                                || e.getValue() == Kind.TOO_MANY_TEXTS
                                || e.getValue() == Kind.MODEL_AS_PATH)
                        .allSatisfy(
                                e -> assertThat(answers.get(e.getKey()).get(0).status())
                                        .as("%s (%s)", e.getKey(), e.getValue())
                                        .isEqualTo(ResultStatus.ERROR));
                assertThat(goodIds).as("good records in the same partitions").allSatisfy(id -> {
                    assertThat(answers).containsKey(id);
                    assertThat(answers.get(id))
                            .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK));
                });
                assertThat(worker.log()).doesNotContain("OutOfMemoryError").doesNotContain("Intake thread failed");
                assertThat(worker.isAlive()).isTrue();
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();

                StringBuilder byKind = new StringBuilder();
                outcomes.forEach((k, o) -> byKind.append(String.format(
                        "%n    %-22s dead-lettered %6d, error result " + "%6d, ok result %6d", k, o[0], o[1], o[2])));
                Map<String, Integer> classes = new TreeMap<>();
                deadLettered.values().forEach(c -> classes.merge(c.substring(c.lastIndexOf('.') + 1), 1, Integer::sum));
                Figures.report(
                        "hostile input",
                        "%d hostile + %d good records on 6 partitions: 0 crashes, 0 OOM, "
                                + "%d dead-lettered, %d answered; %d good answered OK; worker heap peak %.0f MiB (-Xmx384m, "
                                + "%d samples); dead-letter classes %s; by kind:%s",
                        hostile,
                        goodIds.size(),
                        deadLettered.size(),
                        hostile - deadLettered.size(),
                        goodIds.size(),
                        heap.max() / (1024 * 1024),
                        heap.values().size(),
                        classes,
                        byKind);
            }
        }
    }

    private static TextEmbeddingRequest request(String id, String model, List<String> texts) {
        return TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setModel(model)
                .setTexts(texts)
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    private static byte[] hostileValue(
            Kind kind,
            String id,
            byte[] schemaId,
            byte[] sample,
            Serializer<TextEmbeddingRequest> good,
            String topic,
            Random random) {
        return switch (kind) {
            case RANDOM_BYTES -> {
                byte[] b = new byte[random.nextInt(257)];
                random.nextBytes(b);
                yield b;
            }
            case TRUNCATED_FRAME -> Arrays.copyOf(sample, random.nextInt(sample.length));
            case UNKNOWN_SCHEMA_ID -> {
                byte[] b = sample.clone();
                int unknown = 1_000_000_000 + random.nextInt(1_000_000);
                b[1] = (byte) (unknown >>> 24);
                b[2] = (byte) (unknown >>> 16);
                b[3] = (byte) (unknown >>> 8);
                b[4] = (byte) unknown;
                yield b;
            }
            case ABSURD_STRING_LENGTH ->
                frame(schemaId, w -> {
                    varLong(w, 100_000_000L);
                    w.writeBytes("abc".getBytes(StandardCharsets.UTF_8));
                });
            case ABSURD_ARRAY_LENGTH ->
                frame(schemaId, w -> {
                    string(w, id);
                    varLong(w, 0); // jobId: null
                    string(w, Job.MODEL);
                    varLong(w, 0); // deadline: null
                    varLong(w, 1_000_000_000L); // texts: one block of 10^9 items
                    string(w, "x");
                });
            case NEGATIVE_LENGTH ->
                frame(schemaId, w -> {
                    varLong(w, -5);
                    w.writeBytes("abcde".getBytes(StandardCharsets.UTF_8));
                });
            case OVER_SIZE_LIMIT -> {
                byte[] b = new byte[MAX_REQUEST_BYTES + 1 + random.nextInt(256)];
                System.arraycopy(sample, 0, b, 0, sample.length);
                yield b;
            }
            case TOMBSTONE -> null;
            case EMPTY_TEXTS -> good.serialize(topic, request(id, Job.MODEL, List.of()));
            case TOO_MANY_TEXTS -> good.serialize(topic, request(id, Job.MODEL, Collections.nCopies(300, "t")));
            case MODEL_AS_PATH ->
                good.serialize(
                        topic,
                        request(
                                id,
                                List.of(
                                                "../../../../etc/passwd",
                                                "file:/etc/passwd",
                                                "classpath:all-minilm-l6-v2-q.onnx",
                                                "/tmp/model.onnx")
                                        .get(random.nextInt(4)),
                                List.of("a text.")));
            case DEEPLY_NESTED_TEXT ->
                good.serialize(topic, request(id, Job.MODEL, List.of("[".repeat(3_000) + "]".repeat(3_000))));
        };
    }

    private interface Body {
        void write(ByteArrayOutputStream w);
    }

    private static byte[] frame(byte[] schemaId, Body body) {
        ByteArrayOutputStream w = new ByteArrayOutputStream();
        w.write(0);
        w.writeBytes(schemaId);
        body.write(w);
        return w.toByteArray();
    }

    private static void string(ByteArrayOutputStream w, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        varLong(w, b.length);
        w.writeBytes(b);
    }

    /** Avro's zig-zag variable-length long. */
    private static void varLong(ByteArrayOutputStream w, long value) {
        long n = (value << 1) ^ (value >> 63);
        while ((n & ~0x7FL) != 0) {
            w.write((int) ((n & 0x7F) | 0x80));
            n >>>= 7;
        }
        w.write((int) n);
    }
}
