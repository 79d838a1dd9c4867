package io.modelpool.worker.jobs;

import static io.modelpool.worker.jobs.JobRecords.failed;
import static io.modelpool.worker.jobs.JobRecords.ok;
import static io.modelpool.worker.jobs.JobRecords.registration;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Contract;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.JobAction;
import io.modelpool.v1.JobControl;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
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

/**
 * The tracker's cancel and expiry states on the TopologyTestDriver, advancing its wall clock: CANCELLING until every
 * request is answered (or nothing more comes for the stall time), then CANCELLED; EXPIRED when the completion window
 * closes first; both final, counted per outcome, and gone from the store after the retention.
 */
class JobCancelAndExpiryTopologyTest {

    private static final Duration STALL_AFTER = Duration.ofSeconds(60);
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    static {
        Contract.trustGeneratedClasses();
    }

    @TempDir
    Path stateDir;

    private final String prefix = "cx" + UUID.randomUUID().toString().substring(0, 8);
    private TopologyTestDriver driver;
    private TestInputTopic<String, JobRegistration> jobs;
    private TestInputTopic<String, JobControl> controls;
    private TestInputTopic<String, TextEmbeddingResult> results;
    private TestOutputTopic<String, JobStatus> status;
    private KeyValueStore<String, JobStatus> store;

    @BeforeEach
    void startDriver() {
        Map<String, Object> registry =
                Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "-jobs");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(
                JobTopology.build(new JobTopology.Settings(
                        prefix, registry, STALL_AFTER, Duration.ofMinutes(10), Duration.ofSeconds(1), RETENTION)),
                props,
                T0);
        jobs = driver.createInputTopic(
                Topics.jobs(prefix),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(JobRegistration.class, registry, false));
        controls = driver.createInputTopic(
                Topics.jobControl(prefix),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(JobControl.class, registry, false));
        results = driver.createInputTopic(
                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingResult.class, registry, false));
        status = driver.createOutputTopic(
                Topics.jobStatus(prefix),
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(JobStatus.class, registry, false));
        store = driver.getKeyValueStore(JobTopology.STATUS_STORE);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private void cancel(String jobId) {
        controls.pipeInput(
                jobId,
                JobControl.newBuilder()
                        .setJobId(jobId)
                        .setAction(JobAction.CANCEL)
                        .setRequestedBy("me@host")
                        .setRequestedAt(T0.plusSeconds(1))
                        .build(),
                T0.plusSeconds(1));
    }

    private JobRegistration withWindow(String jobId, long expected, Duration window) {
        return JobRegistration.newBuilder(registration(jobId, expected))
                .setExpiresAt(T0.plus(window))
                .build();
    }

    @Test
    void aCancelledJobIsCancellingUntilEveryRequestIsAnsweredThenCancelledWithCountsPerOutcome() {
        jobs.pipeInput("j", registration("j", 3), T0);
        results.pipeInput("r1", ok("j", "r1"), T0);

        cancel("j");
        assertThat(store.get("j").getState()).isEqualTo(JobState.CANCELLING);
        assertThat(store.get("j").getCancelRequestedAt()).isEqualTo(T0.plusSeconds(1));
        assertThat(status.readValuesToList()).extracting(JobStatus::getState).endsWith(JobState.CANCELLING);

        results.pipeInput("r2", failed("j", "r2", ErrorCode.CANCELLED), T0);
        assertThat(store.get("j").getState()).isEqualTo(JobState.CANCELLING);
        results.pipeInput("r3", failed("j", "r3", ErrorCode.CANCELLED), T0);

        JobStatus done = store.get("j");
        assertThat(done.getState()).isEqualTo(JobState.CANCELLED);
        assertThat(done.getSucceeded()).isEqualTo(1);
        assertThat(done.getFailuresByCode()).containsOnly(Map.entry("CANCELLED", 2L));
        assertThat(status.readValuesToList()).extracting(JobStatus::getState).endsWith(JobState.CANCELLED);
    }

    @Test
    void aCancellingJobWhoseRequestsNeverArriveIsCancelledAfterTheStallTime() {
        jobs.pipeInput("j", registration("j", 10), T0);
        cancel("j");

        driver.advanceWallClockTime(STALL_AFTER.plusSeconds(20));

        assertThat(store.get("j").getState()).isEqualTo(JobState.CANCELLED);
    }

    @Test
    void cancelledResultsReadBeforeTheCancelItselfStillEndTheJobCancelledNotCompleted() {
        jobs.pipeInput("j", registration("j", 2), T0);
        results.pipeInput("r1", ok("j", "r1"), T0);
        results.pipeInput("r2", failed("j", "r2", ErrorCode.CANCELLED), T0);
        assertThat(store.get("j").getState()).isEqualTo(JobState.CANCELLED);

        cancel("j");

        assertThat(store.get("j").getState()).isEqualTo(JobState.CANCELLED);
        assertThat(store.get("j").getCancelRequestedAt())
                .as("filled in by the late cancel")
                .isNotNull();
    }

    @Test
    void aCancelOfACompletedJobChangesNothing() {
        jobs.pipeInput("j", registration("j", 1), T0);
        results.pipeInput("r1", ok("j", "r1"), T0);
        status.readValuesToList();

        cancel("j");

        assertThat(store.get("j").getState()).isEqualTo(JobState.COMPLETED);
        assertThat(store.get("j").getCancelRequestedAt()).isNull();
        assertThat(status.readValuesToList()).isEmpty();
    }

    @Test
    void aJobWhoseCompletionWindowClosesIsExpiredAndItsLeftoversAreCountedAsTheyCome() {
        jobs.pipeInput("j", withWindow("j", 3, Duration.ofMinutes(10)), T0);
        results.pipeInput("r1", ok("j", "r1"), T0);
        assertThat(store.get("j").getExpiresAt()).isEqualTo(T0.plus(Duration.ofMinutes(10)));

        driver.advanceWallClockTime(Duration.ofSeconds(50));
        assertThat(store.get("j").getState()).as("inside the window").isEqualTo(JobState.RUNNING);
        driver.advanceWallClockTime(Duration.ofMinutes(10));
        assertThat(store.get("j").getState())
                .as("the window closed before the stall's retention")
                .isEqualTo(JobState.EXPIRED);

        results.pipeInput("r2", failed("j", "r2", ErrorCode.EXPIRED), T0.plus(Duration.ofMinutes(11)));
        results.pipeInput("r3", failed("j", "r3", ErrorCode.EXPIRED), T0.plus(Duration.ofMinutes(11)));
        JobStatus expired = store.get("j");
        assertThat(expired.getState()).isEqualTo(JobState.EXPIRED);
        assertThat(expired.getFailuresByCode()).containsOnly(Map.entry("EXPIRED", 2L));
        assertThat(status.readValuesToList()).extracting(JobStatus::getState).contains(JobState.EXPIRED);
    }

    @Test
    void aJobWhoseLastResultsArriveAfterItsWindowIsExpiredNotCompleted() {
        jobs.pipeInput("j", withWindow("j", 2, Duration.ofSeconds(30)), T0);
        driver.advanceWallClockTime(Duration.ofSeconds(31)); // the window closed, before the deadline check ran

        results.pipeInput("r1", failed("j", "r1", ErrorCode.EXPIRED), T0.plusSeconds(31));
        results.pipeInput("r2", failed("j", "r2", ErrorCode.EXPIRED), T0.plusSeconds(31));

        assertThat(store.get("j").getState()).isEqualTo(JobState.EXPIRED);
        assertThat(store.get("j").getFailed()).isEqualTo(2);
    }

    @Test
    void aJobThatCompletesInsideItsWindowStaysCompleted() {
        jobs.pipeInput("j", withWindow("j", 1, Duration.ofMinutes(10)), T0);
        results.pipeInput("r1", ok("j", "r1"), T0);

        driver.advanceWallClockTime(Duration.ofMinutes(20));

        assertThat(store.get("j").getState()).isEqualTo(JobState.COMPLETED);
    }

    @Test
    void cancelledAndExpiredJobsLeaveTheStoreAfterTheRetention() {
        jobs.pipeInput("c", registration("c", 1), T0);
        cancel("c");
        results.pipeInput("r1", failed("c", "r1", ErrorCode.CANCELLED), T0);
        jobs.pipeInput("e", withWindow("e", 5, Duration.ofSeconds(30)), T0);
        driver.advanceWallClockTime(Duration.ofMinutes(1));
        assertThat(store.get("c").getState()).isEqualTo(JobState.CANCELLED);
        assertThat(store.get("e").getState()).isEqualTo(JobState.EXPIRED);

        driver.advanceWallClockTime(RETENTION.minusMinutes(5));
        assertThat(store.get("c")).as("kept within the retention").isNotNull();
        assertThat(store.get("e")).isNotNull();
        driver.advanceWallClockTime(Duration.ofMinutes(10));

        assertThat(store.get("c")).isNull();
        assertThat(store.get("e")).isNull();
    }
}
