package io.modelpool.worker.jobs;

import static io.modelpool.worker.jobs.JobRecords.ok;
import static io.modelpool.worker.jobs.JobRecords.registration;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finished jobs leave the tracker's store {@code jobs.retention-ms} after their last change, found through the
 * deadline index rather than a walk over every job; on the TopologyTestDriver, advancing its wall clock.
 */
class JobRetentionTest {

    private static final Duration STALL_AFTER = Duration.ofSeconds(60);
    private static final Duration STATUS_INTERVAL = Duration.ofSeconds(1);
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final Instant T0 = Instant.parse("2026-01-01T12:00:00Z");

    @TempDir
    Path stateDir;

    private final String prefix = "ret" + UUID.randomUUID().toString().substring(0, 8);
    private TopologyTestDriver driver;
    private TestInputTopic<String, JobRegistration> jobs;
    private TestInputTopic<String, TextEmbeddingResult> results;
    private TestOutputTopic<String, JobStatus> status;
    private KeyValueStore<String, JobStatus> store;
    private KeyValueStore<Bytes, byte[]> index;

    @BeforeEach
    void startDriver() {
        Map<String, Object> registry =
                Map.of(AvroSerdeConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        JobTopology.Settings settings = new JobTopology.Settings(
                prefix, registry, STALL_AFTER, Duration.ofMinutes(10), STATUS_INTERVAL, RETENTION);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, prefix + "-jobs");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(JobTopology.build(settings), props, T0);
        jobs = driver.createInputTopic(
                Topics.jobs(prefix),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(JobRegistration.class, registry, false));
        results = driver.createInputTopic(
                Topics.results(prefix, Capability.TEXT_EMBEDDING),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingResult.class, registry, false));
        status = driver.createOutputTopic(
                Topics.jobStatus(prefix),
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(JobStatus.class, registry, false));
        store = driver.getKeyValueStore(JobTopology.STATUS_STORE);
        index = driver.getKeyValueStore(JobDeadlines.STORE);
    }

    @AfterEach
    void closeDriver() {
        driver.close();
    }

    private List<String> indexedJobs() {
        List<String> ids = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = index.all()) {
            it.forEachRemaining(kv -> ids.add(JobDeadlines.jobId(kv.key)));
        }
        return ids;
    }

    @Test
    void aCompletedJobStaysForTheRetentionThenLeavesTheStoreAndTheIndex() {
        jobs.pipeInput("done", registration("done", 1), T0);
        results.pipeInput("r1", ok("done", "r1"), T0);
        assertThat(store.get("done").getState()).isEqualTo(JobState.COMPLETED);

        driver.advanceWallClockTime(RETENTION.minusMinutes(1));
        assertThat(store.get("done")).as("kept within the retention").isNotNull();
        assertThat(indexedJobs()).containsExactly("done");

        driver.advanceWallClockTime(Duration.ofMinutes(2));
        assertThat(store.get("done")).as("gone after the retention").isNull();
        assertThat(indexedJobs()).isEmpty();
    }

    @Test
    void aRunningJobStallsThroughTheIndexAndAStalledJobExpiresAfterTheRetention() {
        jobs.pipeInput("slow", registration("slow", 3), T0);
        results.pipeInput("r1", ok("slow", "r1"), T0);

        driver.advanceWallClockTime(STALL_AFTER.plusSeconds(15));
        assertThat(store.get("slow").getState()).isEqualTo(JobState.STALLED);
        assertThat(status.readValuesToList()).extracting(JobStatus::getState).contains(JobState.STALLED);

        driver.advanceWallClockTime(RETENTION.plusMinutes(1));
        assertThat(store.get("slow")).isNull();
        assertThat(indexedJobs()).isEmpty();
    }

    @Test
    void aJobWithResultsComingInIsNeverExpiredAndTheIndexHoldsOneEntryPerJob() {
        jobs.pipeInput("long", registration("long", 1_000), T0);
        jobs.pipeInput("other", registration("other", 1_000), T0);
        for (int i = 0; i < 6; i++) {
            driver.advanceWallClockTime(Duration.ofMinutes(30));
            results.pipeInput("l" + i, ok("long", "l" + i), T0.plus(Duration.ofMinutes(30L * (i + 1))));
            results.pipeInput("o" + i, ok("other", "o" + i), T0.plus(Duration.ofMinutes(30L * (i + 1))));
            assertThat(indexedJobs()).containsExactlyInAnyOrder("long", "other");
        }

        assertThat(store.get("long").getSucceeded())
                .as("three hours, twice the retention, of results")
                .isEqualTo(6);
        assertThat(store.get("long").getState()).isEqualTo(JobState.RUNNING);
    }

    @Test
    void aResultArrivingAfterItsJobExpiredStartsTheJobAnew() {
        jobs.pipeInput("old", registration("old", 1), T0);
        results.pipeInput("r1", ok("old", "r1"), T0);
        driver.advanceWallClockTime(RETENTION.plusMinutes(1));
        assertThat(store.get("old")).isNull();

        results.pipeInput("r2", ok("old", "r2"), T0.plus(RETENTION).plus(Duration.ofMinutes(2)));

        assertThat(store.get("old").getSucceeded()).isEqualTo(1);
        assertThat(store.get("old").getExpectedCount())
                .as("its registration is forgotten")
                .isEqualTo(-1);
    }
}
