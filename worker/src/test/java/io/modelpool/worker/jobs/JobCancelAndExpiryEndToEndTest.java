package io.modelpool.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.cli.ExitCodes;
import io.modelpool.cli.JobStatusFeed;
import io.modelpool.cli.KafkaConnection;
import io.modelpool.cli.Main;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.io.ByteArrayOutputStream;
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
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cancel and expiry of batch jobs on the devstack broker and registry, with real workers running the MiniLM model and
 * the {@code modelpool} command: a 20,000-request job (2,000 in the default run) cancelled while two workers run it, a job whose completion
 * window closed before a worker reached it, and cancels of unknown and ended jobs.
 */
class JobCancelAndExpiryEndToEndTest {

    private static final Logger log = LoggerFactory.getLogger(JobCancelAndExpiryEndToEndTest.class);
    private static final Duration CANCEL_BOUND = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    private final DevStack stack = SharedDevStack.get();
    private final String prefix = "c" + UUID.randomUUID().toString().substring(0, 8);
    private final List<Worker> workers = new ArrayList<>();

    @AfterEach
    void stop() throws InterruptedException {
        workers.forEach(Worker::beginShutdown);
        for (Worker w : workers) {
            w.awaitShutdown();
            // the exit does not wait for the tracker past a short grace; its stores live in this test's directory
            w.jobTracker()
                    .ifPresent(t -> await().atMost(Duration.ofSeconds(30))
                            .until(() -> t.state() == KafkaStreams.State.NOT_RUNNING
                                    || t.state() == KafkaStreams.State.ERROR));
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

    private Worker startWorker(String name) {
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        settings.put(WorkerConfig.TOPIC_PREFIX, prefix);
        settings.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        settings.put(WorkerConfig.WORKER_ID, prefix + "-" + name);
        settings.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        settings.put(WorkerConfig.CREATE_TOPICS, "true");
        settings.put(WorkerConfig.TOPIC_PARTITIONS, "4");
        settings.put(WorkerConfig.JOBS_STATE_DIR, dir.resolve("state-" + name).toString());
        settings.put(WorkerConfig.JOBS_STATUS_INTERVAL_MS, "200");
        // the tracker notices a closed completion window at its deadline check, every quarter of this
        settings.put(WorkerConfig.JOBS_STALL_AFTER_MS, "4000");
        Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
        workers.add(worker);
        return worker;
    }

    private void createTopics() {
        List<NewTopic> topics = new ArrayList<>();
        for (Capability c : Capability.values()) {
            topics.add(new NewTopic(Topics.requests(prefix, c), 4, (short) 1));
            topics.add(new NewTopic(Topics.results(prefix, c), 4, (short) 1));
        }
        for (String compacted : List.of(Topics.jobs(prefix), Topics.jobStatus(prefix), Topics.jobControl(prefix))) {
            topics.add(new NewTopic(compacted, 1, (short) 1).configs(Map.of("cleanup.policy", "compact")));
        }
        stack.createTopics(topics);
    }

    private Path input(int count) throws Exception {
        Path input = dir.resolve("items-" + count + ".txt");
        Files.write(input, IntStream.range(0, count).mapToObj(i -> "item " + i).toList());
        return input;
    }

    /** The job's latest status on the status topic, read as {@code modelpool status} reads it; null when none. */
    private JobStatus latestStatus(String jobId) {
        try (JobStatusFeed feed = JobStatusFeed.open(
                new KafkaConnection(stack.bootstrapServers(), stack.schemaRegistryUrl(), prefix, Map.of()),
                Duration.ofSeconds(10))) {
            return feed.readToEnd().get(jobId);
        }
    }

    /** The job's latest status once it is in {@code state} with {@code expected} requests answered. */
    private JobStatus statusOnceAnswered(String jobId, JobState state, long expected) {
        return await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(500))
                .until(
                        () -> latestStatus(jobId),
                        s -> s != null && s.getState() == state && s.getSucceeded() + s.getFailed() == expected);
    }

    /** Every result of {@code jobId} on the text-embedding result topic, read until {@code expected} distinct. */
    private Map<String, ConsumerRecord<String, TextEmbeddingResult>> results(String jobId, int expected) {
        String topic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        Map<String, ConsumerRecord<String, TextEmbeddingResult>> first = new HashMap<>();
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = new KafkaConsumer<>(
                config,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingResult.class, config, false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<String, TextEmbeddingResult> r : consumer.poll(Duration.ofMillis(200))) {
                    if (jobId.equals(r.value().getJobId())) {
                        first.putIfAbsent(r.value().getRequestId(), r);
                    }
                }
                return first.size() >= expected;
            });
        }
        return first;
    }

    /**
     * The 20,000-request job under {@code -Preliability} ({@code modelpool.reliability.scale=full}); 2,000 in
     * the default run, which keeps it quick.
     */
    @Test
    @Tag("reliability")
    void cancellingARunningJobOnTwoWorkersStopsItsInferenceWithinASecondAndTheCountsAddUp() throws Exception {
        boolean full = "full".equals(System.getProperty("modelpool.reliability.scale", "short"));
        int requests = full ? 20_000 : 2_000;
        startWorker("w1");
        startWorker("w2");
        String jobId = "cancel-" + prefix;
        Run submit = modelpool("submit", "--input", input(requests).toString(), "--job-id", jobId, "--no-progress");
        assertThat(submit.exitCode()).as(submit.err()).isZero();
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> latestStatus(jobId), s -> s != null && s.getSucceeded() >= requests / 20);

        Run cancel = modelpool("cancel", jobId);
        Instant cancelReturned = Instant.now();

        assertThat(cancel.exitCode()).as(cancel.err()).isZero();
        assertThat(cancel.err()).contains("job " + jobId + " cancelled");
        JobStatus cancelled = statusOnceAnswered(jobId, JobState.CANCELLED, requests);
        Map<String, ConsumerRecord<String, TextEmbeddingResult>> results = results(jobId, requests);
        List<ConsumerRecord<String, TextEmbeddingResult>> computed = results.values().stream()
                .filter(r -> r.value().getStatus() == ResultStatus.OK)
                .toList();
        long cancelledResults = results.values().stream()
                .filter(r -> r.value().getStatus() == ResultStatus.ERROR
                        && r.value().getError().getCode() == ErrorCode.CANCELLED)
                .count();
        long latestMs =
                computed.stream().mapToLong(ConsumerRecord::timestamp).max().orElse(0) - cancelReturned.toEpochMilli();
        log.info(
                "Cancelled job {} of {} requests: {} computed, {} CANCELLED; the latest computed result was "
                        + "published {} ms after the cancel returned",
                jobId,
                requests,
                computed.size(),
                cancelledResults,
                latestMs);
        assertThat(computed)
                .as("every computed result was published by a second after the cancel returned")
                .allSatisfy(r ->
                        assertThat(Instant.ofEpochMilli(r.timestamp())).isBefore(cancelReturned.plus(CANCEL_BOUND)));
        assertThat(cancelledResults).as("the job was cancelled while it ran").isPositive();
        assertThat(computed.size() + cancelledResults).isEqualTo(requests);
        assertThat(cancelled.getSucceeded()).isEqualTo(computed.size());
        assertThat(cancelled.getFailed()).isEqualTo(cancelledResults);
        assertThat(cancelled.getFailuresByCode()).containsOnly(Map.entry("CANCELLED", cancelledResults));
        assertThat(cancelled.getCancelRequestedAt()).isNotNull();
        Run status = modelpool("status", jobId);
        assertThat(status.out())
                .containsPattern(jobId + "\\s+CANCELLED\\s+" + requests + "/" + requests + "\\s+100.0%\\s+"
                        + computed.size() + "\\s+" + cancelledResults + "\\s+.*CANCELLED=" + cancelledResults);

        Run again = modelpool("cancel", jobId);
        assertThat(again.exitCode()).isEqualTo(ExitCodes.JOB_ENDED);
        assertThat(again.err()).contains("has already ended", "CANCELLED");
    }

    @Test
    void theLeftoversOfAJobWhoseCompletionWindowClosedAreAnsweredExpiredWithoutInference() throws Exception {
        createTopics();
        String jobId = "expire-" + prefix;
        Run submit = modelpool(
                "submit",
                "--input",
                input(50).toString(),
                "--job-id",
                jobId,
                "--completion-window",
                "1s",
                "--no-progress");
        assertThat(submit.exitCode()).as(submit.err()).isZero();
        Instant windowClosed = Instant.now().plusSeconds(1);
        await().atMost(Duration.ofSeconds(5)).until(() -> Instant.now().isAfter(windowClosed));

        startWorker("w1");

        JobStatus expired = statusOnceAnswered(jobId, JobState.EXPIRED, 50);
        assertThat(expired.getSucceeded()).isZero();
        assertThat(expired.getFailuresByCode()).containsOnly(Map.entry("EXPIRED", 50L));
        assertThat(expired.getExpiresAt()).isBefore(windowClosed.plusMillis(1));
        assertThat(results(jobId, 50).values()).allSatisfy(r -> {
            assertThat(r.value().getStatus()).isEqualTo(ResultStatus.ERROR);
            assertThat(r.value().getError().getCode()).isEqualTo(ErrorCode.EXPIRED);
            assertThat(r.value().getError().getMessage()).contains("completion window of job " + jobId);
        });
        assertThat(modelpool("status", jobId).out()).containsPattern(jobId + "\\s+EXPIRED\\s+50/50\\s+.*EXPIRED=50");
        assertThat(modelpool("cancel", jobId).exitCode()).isEqualTo(ExitCodes.JOB_ENDED);
    }

    @Test
    void cancellingAnUnknownJobSaysSoAndExitsNonZero() {
        createTopics();

        Run cancel = modelpool("cancel", "no-such-job-" + prefix);

        assertThat(cancel.exitCode()).isEqualTo(ExitCodes.UNKNOWN_JOB);
        assertThat(cancel.err()).contains("no job no-such-job-" + prefix, "nothing to cancel");
    }
}
