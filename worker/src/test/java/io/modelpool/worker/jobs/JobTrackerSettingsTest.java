package io.modelpool.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.worker.config.WorkerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

/** How a worker's configuration becomes the tracker's Kafka Streams settings. */
class JobTrackerSettingsTest {

    private static WorkerConfig config(Map<String, String> extra) {
        Map<String, String> m = new java.util.HashMap<>(Map.of(
                WorkerConfig.BOOTSTRAP_SERVERS,
                "k:9092",
                WorkerConfig.SCHEMA_REGISTRY_URL,
                "http://r:8081",
                WorkerConfig.GROUP_ID,
                "fleet-a",
                "kafka.security.protocol",
                "SASL_SSL"));
        m.putAll(extra);
        return WorkerConfig.of(m);
    }

    @Test
    void everyWorkerOfAFleetSharesOneApplicationIdDerivedFromItsGroup() {
        JobTracker.Settings s = JobTracker.settings(config(Map.of()), "w-1");

        assertThat(s.applicationId()).isEqualTo("fleet-a-jobs");
        assertThat(s.processingGuarantee()).isEqualTo(StreamsConfig.AT_LEAST_ONCE);
        assertThat(s.stateDir()).isEqualTo(Path.of(".modelpool", "jobs", "w-1"));
        assertThat(s.rebuildState())
                .as("the default directory is rebuilt from the changelogs")
                .isTrue();
        assertThat(s.topology().stallAfter()).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void theDefaultStateDirectoryFollowsTheDataDirectoryNeverTheSystemTempDirectory() {
        JobTracker.Settings s = JobTracker.settings(config(Map.of(WorkerConfig.DATA_DIR, "/srv/modelpool")), "w:1");

        assertThat(s.stateDir()).isEqualTo(Path.of("/srv/modelpool", "jobs", "w_1"));
        assertThat(s.stateDir().toAbsolutePath().startsWith(System.getProperty("java.io.tmpdir")))
                .isFalse();
        assertThat(s.rebuildState()).isTrue();
    }

    @Test
    void theJobsKeysReachTheTopologyAndTheStreamsClient() {
        JobTracker.Settings s = JobTracker.settings(
                config(Map.of(
                        WorkerConfig.JOBS_APPLICATION_ID, "tracker-x",
                        WorkerConfig.JOBS_STATE_DIR, "/var/lib/modelpool/jobs",
                        WorkerConfig.JOBS_STALL_AFTER_MS, "90000",
                        WorkerConfig.JOBS_DEDUP_RETENTION_MS, "3600000",
                        WorkerConfig.JOBS_STATUS_INTERVAL_MS, "250")),
                "w-1");
        Properties p = JobTracker.properties(s);

        assertThat(s.rebuildState())
                .as("a directory the operator chose is kept")
                .isFalse();
        assertThat(p)
                .containsEntry(StreamsConfig.APPLICATION_ID_CONFIG, "tracker-x")
                .containsEntry(
                        StreamsConfig.STATE_DIR_CONFIG,
                        Path.of("/var/lib/modelpool/jobs").toString())
                .containsEntry(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1)
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "k:9092");
        assertThat(s.topology().stallAfter()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.topology().dedupRetention()).isEqualTo(Duration.ofHours(1));
        assertThat(s.topology().statusInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void theStreamThreadNeitherIdlesOnEmptyPartitionsNorFetchesPerResult() {
        Properties p = JobTracker.properties(JobTracker.settings(config(Map.of()), "w-1"));

        assertThat(p)
                .as("counting does not depend on cross-topic order")
                .containsEntry(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED)
                .containsEntry(
                        StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG),
                        JobTracker.FETCH_MIN_BYTES)
                .containsEntry(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), (int)
                        JobTracker.FETCH_MAX_WAIT.toMillis());
        assertThat(JobTracker.FETCH_MAX_WAIT)
                .as("well inside the default status interval")
                .isLessThan(Duration.ofMillis(1000));
    }

    @Test
    void exactlyOnceV2IsUsedWhenTheWorkerRunsExactlyOnce() {
        assertThat(JobTracker.guaranteeFor(null)).isEqualTo(StreamsConfig.AT_LEAST_ONCE);
        assertThat(JobTracker.guaranteeFor("at_least_once")).isEqualTo(StreamsConfig.AT_LEAST_ONCE);
        assertThat(JobTracker.guaranteeFor("exactly_once")).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(JobTracker.guaranteeFor("exactly-once-v2")).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    }

    @Test
    void theTrackerIsOnByDefaultAndCanBeSwitchedOffPerWorker() {
        assertThat(config(Map.of()).jobsTrackerEnabled()).isTrue();
        assertThat(config(Map.of(WorkerConfig.JOBS_TRACKER_ENABLED, "false")).jobsTrackerEnabled())
                .isFalse();
    }
}
