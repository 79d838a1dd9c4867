package io.modelpool.worker.jobs;

import static io.modelpool.worker.jobs.JobRecords.failed;
import static io.modelpool.worker.jobs.JobRecords.ok;
import static io.modelpool.worker.jobs.JobRecords.registration;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.TextToTextResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job tracker's topology on the TopologyTestDriver, with the devstack schema registry for the Avro serdes. */
class JobTopologyTest {

    private static final Duration STALL_AFTER = Duration.ofSeconds(60);
    private static final Duration STATUS_INTERVAL = Duration.ofSeconds(1);
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    @TempDir
    Path stateDir;

    private final String prefix = "ttd" + UUID.randomUUID().toString().substring(0, 8);
    private TopologyTestDriver driver;
    private TestInputTopic<String, JobRegistration> jobs;
    private TestInputTopic<String, TextEmbeddingResult> textResults;
    private TestInputTopic<String, TextToTextResult> textToTextResults;
    private TestOutputTopic<String, JobStatus> status;

    @BeforeEach
    void startDriver() {
        Map<String, Object> registry =
                Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        JobTopology.Settings settings =
                new JobTopology.Settings(prefix, registry, STALL_AFTER, Duration.ofHours(1), STATUS_INTERVAL);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "-jobs");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DecodeFailureHandler.class.getName());
        driver = new TopologyTestDriver(JobTopology.build(settings), props, T0);
        jobs = driver.createInputTopic(
                Topics.jobs(prefix),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(JobRegistration.class, registry, false));
        textResults = driver.createInputTopic(
                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingResult.class, registry, false));
        textToTextResults = driver.createInputTopic(
                Topics.results(prefix, Capability.TEXT_TO_TEXT),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextToTextResult.class, registry, false));
        status = driver.createOutputTopic(
                Topics.jobStatus(prefix),
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(JobStatus.class, registry, false));
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private void result(TextEmbeddingResult r, Instant at) {
        textResults.pipeInput(r.getRequestId(), r, at);
    }

    /** The latest status per job on the status topic, after the periodic publication has run. */
    private JobStatus latest(String jobId) {
        driver.advanceWallClockTime(STATUS_INTERVAL);
        List<JobStatus> all = status.readValuesToList();
        return all.stream()
                .filter(s -> s.getJobId().equals(jobId))
                .reduce((a, b) -> b)
                .orElseThrow();
    }

    @Test
    void duplicateResultsOfOneRequestCountOnce() {
        jobs.pipeInput("job-1", registration("job-1", 3), T0);
        result(ok("job-1", "r1"), T0.plusMillis(10));
        result(ok("job-1", "r1"), T0.plusMillis(20));
        result(failed("job-1", "r2", ErrorCode.EMPTY_INPUT), T0.plusMillis(30));
        result(failed("job-1", "r2", ErrorCode.EMPTY_INPUT), T0.plusMillis(40));
        result(ok("job-1", "r1"), T0.plusMillis(50));

        JobStatus s = latest("job-1");
        assertThat(s.getSucceeded()).isEqualTo(1);
        assertThat(s.getFailed()).isEqualTo(1);
        assertThat(s.getFailuresByCode()).containsExactly(Map.entry("EMPTY_INPUT", 1L));
        assertThat(s.getState()).isEqualTo(JobState.RUNNING);

        result(ok("job-1", "r3"), T0.plusMillis(60));
        result(ok("job-1", "r3"), T0.plusMillis(70));
        JobStatus done = latest("job-1");
        assertThat(done.getSucceeded() + done.getFailed()).isEqualTo(3);
        assertThat(done.getState()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void aRegistrationArrivingAfterItsResultsStillGivesTheRightStatus() {
        result(ok("late", "a"), T0.plusMillis(10));
        result(ok("late", "b"), T0.plusMillis(20));
        JobStatus before = latest("late");
        assertThat(before.getExpectedCount()).isEqualTo(-1);
        assertThat(before.getCapability()).isNull();
        assertThat(before.getState()).isEqualTo(JobState.RUNNING);

        jobs.pipeInput("late", registration("late", 2), T0.plusMillis(30));
        JobStatus after = latest("late");
        assertThat(after.getCapability()).isEqualTo(Capability.TEXT_EMBEDDING);
        assertThat(after.getModel()).isEqualTo(JobRecords.MODEL);
        assertThat(after.getExpectedCount()).isEqualTo(2);
        assertThat(after.getSucceeded()).isEqualTo(2);
        assertThat(after.getState()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void outOfOrderResultTimesKeepTheEarliestAsFirstAndTheLatestAsLastWithThroughputBetweenThem() {
        jobs.pipeInput("ooo", registration("ooo", 10), T0);
        result(ok("ooo", "r2"), T0.plusSeconds(2));
        result(ok("ooo", "r3"), T0.plusSeconds(4));
        result(ok("ooo", "r1"), T0.plusSeconds(0));
        result(ok("ooo", "r4"), T0.plusSeconds(3));

        JobStatus s = latest("ooo");
        assertThat(s.getFirstResultAt()).isEqualTo(T0);
        assertThat(s.getLastResultAt()).isEqualTo(T0.plusSeconds(4));
        assertThat(s.getResultsPerSecond()).isEqualTo(1.0);
        assertThat(s.getSucceeded()).isEqualTo(4);
    }

    @Test
    void failuresAreCountedPerErrorCode() {
        jobs.pipeInput("poison", registration("poison", 5), T0);
        result(ok("poison", "r1"), T0);
        result(failed("poison", "r2", ErrorCode.EMPTY_INPUT), T0);
        result(failed("poison", "r3", ErrorCode.EMPTY_INPUT), T0);
        result(failed("poison", "r4", ErrorCode.INPUT_TOO_LARGE), T0);
        result(failed("poison", "r5", ErrorCode.UNKNOWN_MODEL), T0);

        JobStatus s = latest("poison");
        assertThat(s.getState()).isEqualTo(JobState.COMPLETED);
        assertThat(s.getSucceeded()).isEqualTo(1);
        assertThat(s.getFailed()).isEqualTo(4);
        assertThat(s.getFailuresByCode())
                .containsOnly(
                        Map.entry("EMPTY_INPUT", 2L), Map.entry("INPUT_TOO_LARGE", 1L), Map.entry("UNKNOWN_MODEL", 1L));
    }

    @Test
    void resultsWithoutAJobIdAreIgnored() {
        jobs.pipeInput("j", registration("j", 2), T0);
        result(ok(null, "loose-1"), T0);
        result(ok("j", "r1"), T0);

        JobStatus s = latest("j");
        assertThat(s.getSucceeded()).isEqualTo(1);
        List<String> tracked = new java.util.ArrayList<>();
        try (var all = driver.<String, JobStatus>getKeyValueStore(JobTopology.STATUS_STORE)
                .all()) {
            all.forEachRemaining(kv -> tracked.add(kv.key));
        }
        assertThat(tracked).containsExactly("j");
    }

    @Test
    void resultsOfEveryCapabilityFeedTheirJobs() {
        jobs.pipeInput("t2t", registration("t2t", 2), T0);
        textToTextResults.pipeInput("x1", JobRecords.textToTextOk("t2t", "x1"), T0);
        textToTextResults.pipeInput("x2", JobRecords.textToTextOk("t2t", "x2"), T0);

        assertThat(latest("t2t").getState()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void anIncompleteJobWithoutResultsForTheStallTimeIsStalledAndRunsAgainWhenResultsResume() {
        jobs.pipeInput("slow", registration("slow", 3), T0);
        result(ok("slow", "r1"), T0);
        assertThat(latest("slow").getState()).isEqualTo(JobState.RUNNING);

        driver.advanceWallClockTime(STALL_AFTER);
        assertThat(latest("slow").getState()).isEqualTo(JobState.STALLED);

        result(ok("slow", "r2"), T0.plus(STALL_AFTER));
        JobStatus resumed = latest("slow");
        assertThat(resumed.getState()).isEqualTo(JobState.RUNNING);
        assertThat(resumed.getSucceeded()).isEqualTo(2);
    }

    @Test
    void aCompletedJobIsNeverStalled() {
        jobs.pipeInput("fast", registration("fast", 1), T0);
        result(ok("fast", "r1"), T0);
        driver.advanceWallClockTime(STALL_AFTER.multipliedBy(3));
        assertThat(latest("fast").getState()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void progressIsPublishedOncePerIntervalNotOncePerResult() {
        jobs.pipeInput("bulk", registration("bulk", 1000), T0);
        for (int i = 0; i < 500; i++) {
            result(ok("bulk", "r" + i), T0.plusMillis(i));
        }
        driver.advanceWallClockTime(STATUS_INTERVAL);
        List<JobStatus> published = status.readValuesToList();

        // one at registration, one for the change to RUNNING at the first result, one periodic flush
        assertThat(published).hasSizeLessThanOrEqualTo(3);
        assertThat(published.get(published.size() - 1).getSucceeded()).isEqualTo(500);
    }

    @Test
    void theStateStoreAnswersQueriesForAJobsStatus() {
        jobs.pipeInput("q", registration("q", 4), T0);
        result(ok("q", "r1"), T0);
        result(failed("q", "r2", ErrorCode.INFERENCE_FAILED), T0);

        KeyValueStore<String, JobStatus> store = driver.getKeyValueStore(JobTopology.STATUS_STORE);
        JobStatus s = store.get("q");
        assertThat(s.getSucceeded()).isEqualTo(1);
        assertThat(s.getFailed()).isEqualTo(1);
        assertThat(s.getExpectedCount()).isEqualTo(4);
        assertThat(store.get("never-seen")).isNull();
    }
}
