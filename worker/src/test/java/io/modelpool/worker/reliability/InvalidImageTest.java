package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.DevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.capability.image.ImageFixtures;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 4's invalid images: well-formed image-embedding requests whose image is not one (random bytes, a cut-off
 * PNG, a PNG header declaring 100,000 x 100,000 pixels over a 16 x 16 image, a real image over the manifest's pixel
 * budget, an empty file, a media type the worker does not read), interleaved with good images on the same
 * partitions, against the toy image encoder. Each invalid one is answered with an error result, each good one with
 * a vector, and the worker neither crashes nor runs out of memory: sizes and pixel counts are checked before a full
 * decode.
 *
 * <p>Short form: 600 invalid images; full form: 6,000. One good image follows every five invalid ones.
 */
@Tag("reliability")
class InvalidImageTest {

    private static final String MANIFEST = "classpath:imageembedding/toy-image-encoder.yaml";
    private static final String MODEL = "toy-embedding";

    enum Kind {
        RANDOM_BYTES,
        TRUNCATED_PNG,
        DECOMPRESSION_BOMB,
        OVER_PIXEL_BUDGET,
        EMPTY,
        UNREADABLE_MEDIA_TYPE
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void invalidImagesAreAnsweredWithErrorsAndGoodImagesBesideThemWithVectors() throws Exception {
        int invalid = Scale.pick(600, 6_000);
        DevStack stack = Job.stack();
        Random random = new Random(11);
        try (Job job = Job.create(stack, 1, false)) {
            String requests = Topics.requests(job.prefix(), Capability.IMAGE_EMBEDDING);
            String results = Topics.results(job.prefix(), Capability.IMAGE_EMBEDDING);
            stack.createTopics(Map.of(requests, 4, results, 4));
            Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
            Serializer<ImageEmbeddingRequest> serializer =
                    ConfluentAvroSerde.specificSerializer(ImageEmbeddingRequest.class, registry, false);
            byte[] good = ImageFixtures.small("png", 32, 32);
            Map<String, Kind> kinds = new HashMap<>();
            Map<String, Boolean> goodIds = new HashMap<>();
            try (KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
                Kind[] all = Kind.values();
                for (int i = 0; i < invalid; i++) {
                    Kind kind = all[i % all.length];
                    String id = "img-" + i;
                    kinds.put(id, kind);
                    send(raw, serializer, requests, id, image(kind, good, random), mediaType(kind));
                    if (i % 5 == 4) {
                        String g = "good-" + i;
                        goodIds.put(g, true);
                        send(raw, serializer, requests, g, good, "image/png");
                    }
                }
                raw.flush();
            }
            Map<String, String> overrides = new HashMap<>();
            overrides.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
            overrides.put(WorkerConfig.HIGH_WATER, "48");
            overrides.put(WorkerConfig.LOW_WATER, "16");
            Map<String, ImageEmbeddingResult> answers = new HashMap<>();
            try (WorkerProcess worker = WorkerProcess.start(
                            job.prefix() + "-images", job.workerSettings("images", MANIFEST, overrides));
                    KafkaConsumer<String, ImageEmbeddingResult> consumer = resultConsumer(stack, registry, results)) {
                worker.awaitAssignment(Duration.ofSeconds(120));
                int expected = invalid + goodIds.size();
                await("every image request answered")
                        .atMost(Duration.ofMinutes(15))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> {
                            assertThat(worker.isAlive())
                                    .as("the worker is alive")
                                    .isTrue();
                            consumer.poll(Duration.ofMillis(200)).forEach(r -> answers.put(r.key(), r.value()));
                            return answers.size() >= expected;
                        });
                assertThat(worker.log()).doesNotContain("OutOfMemoryError").doesNotContain("Intake thread failed");
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
            assertThat(RawRecords.count(stack, job.deadLetterTopic()))
                    .as("dead letters")
                    .isZero();
            Map<Kind, Map<String, Integer>> codes = new EnumMap<>(Kind.class);
            kinds.forEach((id, kind) -> {
                ImageEmbeddingResult r = answers.get(id);
                assertThat(r).as("answer to %s (%s)", id, kind).isNotNull();
                assertThat(r.getStatus()).as("status of %s (%s)", id, kind).isEqualTo(ResultStatus.ERROR);
                codes.computeIfAbsent(kind, k -> new TreeMap<>())
                        .merge(r.getError().getCode().name(), 1, Integer::sum);
            });
            assertThat(goodIds.keySet())
                    .allSatisfy(id -> assertThat(answers.get(id).getStatus())
                            .as("good image %s", id)
                            .isEqualTo(ResultStatus.OK));
            Figures.report(
                    "hostile input / invalid images",
                    "%d invalid + %d good image-embedding requests: 0 "
                            + "crashes, 0 OOM, every invalid one an error result, every good one OK; error codes by kind %s",
                    invalid,
                    goodIds.size(),
                    codes);
        }
    }

    private static byte[] image(Kind kind, byte[] good, Random random) {
        return switch (kind) {
            case RANDOM_BYTES -> {
                byte[] b = new byte[1 + random.nextInt(2048)];
                random.nextBytes(b);
                yield b;
            }
            case TRUNCATED_PNG -> ImageFixtures.truncated(good, 0.2 + 0.6 * random.nextDouble());
            case DECOMPRESSION_BOMB -> ImageFixtures.pngDeclaring(100_000, 100_000);
            case OVER_PIXEL_BUDGET -> ImageFixtures.small("png", 100, 100);
            case EMPTY -> new byte[0];
            case UNREADABLE_MEDIA_TYPE -> "<svg xmlns='http://www.w3.org/2000/svg'/>".getBytes(StandardCharsets.UTF_8);
        };
    }

    private static String mediaType(Kind kind) {
        return kind == Kind.UNREADABLE_MEDIA_TYPE ? "image/svg+xml" : "image/png";
    }

    private static void send(
            KafkaProducer<byte[], byte[]> raw,
            Serializer<ImageEmbeddingRequest> serializer,
            String topic,
            String id,
            byte[] data,
            String mediaType) {
        ImageEmbeddingRequest r = ImageEmbeddingRequest.newBuilder()
                .setId(id)
                .setModel(MODEL)
                .setImage(ImageInput.newBuilder()
                        .setData(ByteBuffer.wrap(data))
                        .setMediaType(mediaType)
                        .build())
                .build();
        raw.send(new ProducerRecord<>(topic, id.getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, r)));
    }

    private static KafkaConsumer<String, ImageEmbeddingResult> resultConsumer(
            DevStack stack, Map<String, Object> registry, String topic) {
        KafkaConsumer<String, ImageEmbeddingResult> c =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                stack.bootstrapServers(),
                                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                                false),
                        new StringDeserializer(),
                        ConfluentAvroSerde.specificDeserializer(ImageEmbeddingResult.class, registry, false)) {
                    @Override
                    public void close() {
                        super.close(CloseOptions.timeout(Duration.ofSeconds(5)));
                    }
                };
        List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(p -> new TopicPartition(topic, p.partition()))
                .toList();
        c.assign(parts);
        c.seekToBeginning(parts);
        return c;
    }
}
