package io.modelpool.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.cli.ExitCodes;
import io.modelpool.cli.Main;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The job tracker on the devstack broker and registry, read through the {@code modelpool} command: a job
 * registered by {@code modelpool submit} whose 10,000 results (with at-least-once duplicates) arrive on the result
 * topic, and a job with poisoned items answered by a real worker.
 */
class JobTrackingEndToEndTest {

    private static final String MODEL = "all-minilm-l6-v2-q";

    @TempDir
    Path dir;

    private final DevStack stack = SharedDevStack.get();
    private final String prefix = "e" + UUID.randomUUID().toString().substring(0, 8);
    private final List<AutoCloseable> running = new ArrayList<>();

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : running) {
            c.close();
        }
    }

    record Run(int exitCode, String out, String err) {}

    private Run modelpool(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of(
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--schema-registry",
                stack.schemaRegistryUrl(),
                "--topic-prefix",
                prefix));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
                PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Main.execute(all.toArray(String[]::new), o, e);
        }
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private void createTopics() {
        List<NewTopic> topics = new ArrayList<>();
        for (Capability c : Capability.values()) {
            topics.add(new NewTopic(Topics.requests(prefix, c), 3, (short) 1));
            topics.add(new NewTopic(Topics.results(prefix, c), 3, (short) 1));
        }
        topics.add(new NewTopic(Topics.jobs(prefix), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
        topics.add(new NewTopic(Topics.jobStatus(prefix), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
        topics.add(new NewTopic(Topics.jobControl(prefix), 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
        stack.createTopics(topics);
    }

    private JobTracker startTracker(String guarantee) {
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        JobTracker tracker = JobTracker.start(new JobTracker.Settings(
                prefix + "-jobs",
                prefix + "-w1",
                stack.bootstrapServers(),
                Map.of(),
                guarantee,
                Duration.ofMillis(100),
                dir.resolve("state"),
                new JobTopology.Settings(
                        prefix, registry, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMillis(200))));
        running.add(tracker);
        return tracker;
    }

    private <T extends SpecificRecord> KafkaProducer<String, T> producer(Class<T> type) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put("linger.ms", 5);
        return new KafkaProducer<>(
                config,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(type, stack.clientConfig(), false));
    }

    /** Every request id on the text-embedding request topic, read to its end. */
    private List<String> requestIds() {
        String topic = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        List<String> ids = new ArrayList<>();
        try (KafkaConsumer<String, TextEmbeddingRequest> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, TextEmbeddingRequest> r : consumer.poll(Duration.ofMillis(100))) {
                    ids.add(r.value().getId());
                }
                return partitions.stream().allMatch(p -> consumer.position(p) >= end.get(p));
            });
        }
        return ids;
    }

    @Test
    void aTrackerThatRebuildsItsStateStartsFromTheChangelogsNotFromStoresLeftInItsDirectory() throws Exception {
        createTopics();
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        Path state = dir.resolve("default-like");
        Path leftOver = state.resolve(prefix + "-jobs").resolve("0_0").resolve("left-over");
        Files.createDirectories(leftOver.getParent());
        Files.writeString(leftOver, "a store written against another cluster's schema registry");

        JobTracker tracker = JobTracker.start(new JobTracker.Settings(
                prefix + "-jobs",
                prefix + "-w1",
                stack.bootstrapServers(),
                Map.of(),
                "at_least_once",
                Duration.ofMillis(100),
                state,
                true,
                new JobTopology.Settings(
                        prefix, registry, Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofMillis(200))));
        running.add(tracker);

        assertThat(leftOver).doesNotExist();
    }

    @Test
    void aTenThousandItemJobSubmittedWithTheCliReachesOneHundredPercentInStatusDespiteDuplicateResults()
            throws IOException {
        createTopics();
        JobTracker tracker = startTracker(StreamsConfig.AT_LEAST_ONCE);
        Path input = dir.resolve("items.txt");
        Files.write(
                input,
                IntStream.range(0, 10_000).mapToObj(i -> "item number " + i).toList());
        String jobId = "big-" + prefix;

        Run submit = modelpool("submit", "--input", input.toString(), "--job-id", jobId);
        assertThat(submit.exitCode()).as(submit.err()).isZero();

        List<String> ids = requestIds();
        assertThat(ids).hasSize(10_000);
        String results = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        try (KafkaProducer<String, TextEmbeddingResult> producer = producer(TextEmbeddingResult.class)) {
            for (int i = 0; i < ids.size(); i++) {
                TextEmbeddingResult r = JobRecords.ok(jobId, ids.get(i));
                producer.send(new ProducerRecord<>(results, r.getRequestId(), r));
                if (i % 10 == 0) { // an at-least-once redelivery of every tenth result
                    producer.send(new ProducerRecord<>(results, r.getRequestId(), r));
                }
            }
        }

        Run status = await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> modelpool("status", jobId), r -> r.out().contains("COMPLETED"));
        assertThat(status.out()).containsPattern(jobId + "\\s+COMPLETED\\s+10000/10000\\s+100.0%\\s+10000\\s+0");
        assertThat(tracker.status(jobId)).hasValueSatisfying(s -> {
            assertThat(s.getSucceeded()).isEqualTo(10_000);
            assertThat(s.getFailed()).isZero();
        });
        Run wait = modelpool("wait", jobId, "--no-progress");
        assertThat(wait.exitCode()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void underExactlyOnceV2TheTrackerCountsEveryRequestOnceAndPublishesCommittedProgress() {
        createTopics();
        JobTracker tracker = startTracker(StreamsConfig.EXACTLY_ONCE_V2);
        String jobId = "eos-" + prefix;
        try (KafkaProducer<String, JobRegistration> registrations = producer(JobRegistration.class);
                KafkaProducer<String, TextEmbeddingResult> results = producer(TextEmbeddingResult.class)) {
            registrations.send(new ProducerRecord<>(Topics.jobs(prefix), jobId, JobRecords.registration(jobId, 200)));
            String topic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
            for (int i = 0; i < 200; i++) {
                TextEmbeddingResult r = i % 8 == 0
                        ? JobRecords.failed(jobId, "r" + i, io.modelpool.v1.ErrorCode.INPUT_TOO_LARGE)
                        : JobRecords.ok(jobId, "r" + i);
                results.send(new ProducerRecord<>(topic, r.getRequestId(), r));
                if (i % 4 == 0) {
                    results.send(new ProducerRecord<>(topic, r.getRequestId(), r));
                }
            }
        }

        Run status = await().atMost(Duration.ofSeconds(60))
                .pollInterval(Duration.ofMillis(500))
                .until(() -> modelpool("status", jobId), r -> r.out().contains("COMPLETED"));
        assertThat(status.out())
                .containsPattern(
                        jobId + "\\s+COMPLETED\\s+200/200\\s+100.0%\\s+175\\s+25\\s+.*" + "INPUT_TOO_LARGE=25");
        assertThat(tracker.status(jobId))
                .hasValueSatisfying(s -> assertThat(s.getSucceeded()).isEqualTo(175));
    }

    @Test
    void aJobWithPoisonedItemsAnsweredByARealWorkerReportsItsFailuresByCode() {
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(WorkerConfig.TOPIC_PREFIX, prefix);
        settings.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        settings.put(WorkerConfig.WORKER_ID, prefix + "-worker");
        settings.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        settings.put(WorkerConfig.CREATE_TOPICS, "true");
        settings.put(WorkerConfig.TOPIC_PARTITIONS, "2");
        settings.put(WorkerConfig.JOBS_STATE_DIR, dir.resolve("worker-state").toString());
        settings.put(WorkerConfig.JOBS_STATUS_INTERVAL_MS, "200");
        Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
        running.add(() -> {
            worker.beginShutdown();
            worker.awaitShutdown();
        });
        String jobId = "poisoned-" + prefix;
        int good = 24;
        try (KafkaProducer<String, JobRegistration> registrations = producer(JobRegistration.class);
                KafkaProducer<String, TextEmbeddingRequest> requests = producer(TextEmbeddingRequest.class)) {
            registrations.send(new ProducerRecord<>(
                    Topics.jobs(prefix),
                    jobId,
                    JobRegistration.newBuilder()
                            .setJobId(jobId)
                            .setCapability(Capability.TEXT_EMBEDDING)
                            .setModel(MODEL)
                            .setExpectedCount(30)
                            .setSubmitter("test@host")
                            .setSubmittedAt(Instant.now())
                            .build()));
            String topic = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
            for (int i = 0; i < 30; i++) {
                List<String> texts = i < good ? List.of("a fine sentence " + i) : i < 28 ? List.of() : List.of("x");
                String model = i >= 28 ? "no-such-model" : MODEL;
                TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                        .setId(jobId + "-" + i)
                        .setJobId(jobId)
                        .setModel(model)
                        .setTexts(texts)
                        .setInputType(EmbeddingInputType.DOCUMENT)
                        .build();
                requests.send(new ProducerRecord<>(topic, r.getId(), r));
            }
        }

        Run wait = modelpool("wait", jobId, "--no-progress", "--timeout", "120s");

        assertThat(wait.exitCode()).as(wait.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
        assertThat(wait.err()).contains("24 of 30 succeeded, 6 failed (EMPTY_INPUT=4, UNKNOWN_MODEL=2)");
        Run status = modelpool("status", jobId);
        assertThat(status.out())
                .containsPattern(
                        jobId + "\\s+COMPLETED\\s+30/30\\s+100.0%\\s+24\\s+6\\s+.*" + "EMPTY_INPUT=4, UNKNOWN_MODEL=2");
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(worker.jobTracker())
                        .hasValueSatisfying(t -> assertThat(t.status(jobId)).hasValueSatisfying(s -> {
                            assertThat(s.getState()).isEqualTo(JobState.COMPLETED);
                            assertThat(s.getFailuresByCode())
                                    .containsOnly(Map.entry("EMPTY_INPUT", 4L), Map.entry("UNKNOWN_MODEL", 2L));
                        })));
    }
}
