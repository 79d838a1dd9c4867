package io.modelpool.worker.jobs;

import io.modelpool.v1.JobStatus;
import io.modelpool.worker.config.WorkerConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.MissingSourceTopicException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job tracker running inside a worker: one {@link KafkaStreams} instance of {@link JobTopology}, one stream
 * thread. Every worker of a fleet runs it with the same application id, so the fleet shares the work and each job's
 * progress lives on exactly one worker at a time; the compacted status topic is the fleet-wide view.
 *
 * <p>Threads: {@link #start} returns once the streams client is starting; processing happens on its own stream
 * thread. {@link #status} and {@link #localJobs} may be called from any thread. {@link #beginClose} never blocks (it
 * may be called from a signal handler); {@link #awaitClosed} and {@link #close} block up to their timeout.
 *
 * <p>Failures never stop the worker's inference: a stream thread that fails is replaced up to
 * {@value #MAX_REPLACEMENTS} times within {@link #REPLACEMENT_WINDOW}; after that the tracker shuts itself down
 * and {@link #state} says {@code ERROR}.
 */
public final class JobTracker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobTracker.class);

    static final int MAX_REPLACEMENTS = 5;
    static final Duration REPLACEMENT_WINDOW = Duration.ofMinutes(10);
    static final int FETCH_MIN_BYTES = 256 * 1024;
    static final Duration FETCH_MAX_WAIT = Duration.ofMillis(200);

    /**
     * @param applicationId the Kafka Streams application id, the same on every worker of one fleet
     * @param clientId prefix of this worker's Kafka client ids
     * @param bootstrapServers Kafka bootstrap servers
     * @param kafkaSettings extra Kafka client settings (security and the like), passed as they are
     * @param processingGuarantee {@code at_least_once} or {@code exactly_once_v2}
     * @param commitInterval how often offsets, store changelogs and (with exactly-once) transactions are committed
     * @param stateDir where the local state stores live
     * @param rebuildState whether to empty {@code stateDir} before starting, so the stores are rebuilt from their
     *                     changelog topics: true for the default directory under the data directory, which
     *                     may hold stores of another cluster that used the same worker id (a local stack, a bench);
     *                     such a directory is also deleted once the tracker has closed
     */
    public record Settings(
            String applicationId,
            String clientId,
            String bootstrapServers,
            Map<String, Object> kafkaSettings,
            String processingGuarantee,
            Duration commitInterval,
            Path stateDir,
            boolean rebuildState,
            JobTopology.Settings topology) {

        /** Settings that keep what {@code stateDir} holds. */
        public Settings(
                String applicationId,
                String clientId,
                String bootstrapServers,
                Map<String, Object> kafkaSettings,
                String processingGuarantee,
                Duration commitInterval,
                Path stateDir,
                JobTopology.Settings topology) {
            this(
                    applicationId,
                    clientId,
                    bootstrapServers,
                    kafkaSettings,
                    processingGuarantee,
                    commitInterval,
                    stateDir,
                    false,
                    topology);
        }

        public Settings {
            Objects.requireNonNull(applicationId, "applicationId");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            kafkaSettings = Map.copyOf(kafkaSettings);
            if (!processingGuarantee.equals(StreamsConfig.AT_LEAST_ONCE)
                    && !processingGuarantee.equals(StreamsConfig.EXACTLY_ONCE_V2)) {
                throw new IllegalArgumentException("processingGuarantee must be " + StreamsConfig.AT_LEAST_ONCE + " or "
                        + StreamsConfig.EXACTLY_ONCE_V2 + ", was " + processingGuarantee);
            }
            Objects.requireNonNull(commitInterval, "commitInterval");
            Objects.requireNonNull(stateDir, "stateDir");
            Objects.requireNonNull(topology, "topology");
        }
    }

    private final KafkaStreams streams;
    private final Settings settings;
    private final Deque<Long> replacements = new ArrayDeque<>();

    private JobTracker(KafkaStreams streams, Settings settings) {
        this.streams = streams;
        this.settings = settings;
    }

    /**
     * The streams guarantee matching the worker's: {@code exactly_once_v2} when the worker's
     * {@code processing.guarantee} names exactly-once (in any spelling, {@code exactly_once},
     * {@code exactly-once-v2}, ...), {@code at_least_once} otherwise, including when the worker has no such setting.
     */
    public static String guaranteeFor(String workerGuarantee) {
        if (workerGuarantee == null) {
            return StreamsConfig.AT_LEAST_ONCE;
        }
        String g = workerGuarantee.strip().toLowerCase(Locale.ROOT).replace('-', '_');
        return g.startsWith("exactly_once") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE;
    }

    /** The tracker settings of a worker: its Kafka and registry settings, its guarantee, the jobs.* keys. */
    public static Settings settings(WorkerConfig c, String workerId) {
        Path stateDir = c.jobsStateDir().map(Path::of).orElseGet(() -> defaultStateDir(c.dataDir(), workerId));
        return new Settings(
                c.jobsApplicationId(),
                workerId,
                c.bootstrapServers(),
                c.kafkaCommonOverrides(),
                guaranteeFor(c.declaredProcessingGuarantee().orElse(null)),
                c.commitInterval(),
                stateDir,
                c.jobsStateDir().isEmpty(),
                new JobTopology.Settings(
                        c.topicPrefix(),
                        c.registryConfig(),
                        c.jobsStallAfter(),
                        c.jobsDedupRetention(),
                        c.jobsStatusInterval(),
                        c.jobsRetention()));
    }

    /** Builds the topology and starts the streams client; processing begins once the group has assigned tasks. */
    public static JobTracker start(Settings settings) {
        if (settings.rebuildState()) {
            // The stores live in their changelog topics; a left-over local copy could belong to another cluster.
            // Deleted before Kafka Streams opens the directory: KafkaStreams.cleanUp() leaves its own process file
            // behind and warns that the directory is not empty.
            deleteStateDir(settings.stateDir());
        }
        Properties properties = properties(settings);
        KafkaStreams streams = new KafkaStreams(JobTopology.build(settings.topology()), properties);
        JobTracker tracker = new JobTracker(streams, settings);
        streams.setUncaughtExceptionHandler(tracker::onStreamThreadFailure);
        streams.setStateListener((next, previous) -> {
            if (next == KafkaStreams.State.ERROR || next == KafkaStreams.State.RUNNING) {
                log.info("Job tracker {}: {} -> {}", settings.applicationId(), previous, next);
            }
        });
        streams.start();
        log.info(
                "Job tracker started: application.id={} guarantee={} state.dir={}",
                settings.applicationId(),
                settings.processingGuarantee(),
                settings.stateDir());
        return tracker;
    }

    static Properties properties(Settings s) {
        Properties p = new Properties();
        p.putAll(s.kafkaSettings());
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, s.applicationId());
        p.put(StreamsConfig.CLIENT_ID_CONFIG, s.clientId() + "-jobs");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, s.bootstrapServers());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, s.processingGuarantee());
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, s.commitInterval().toMillis());
        p.put(StreamsConfig.STATE_DIR_CONFIG, s.stateDir().toString());
        // the tracker shares the worker's cores with inference: one thread is plenty for counting
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DecodeFailureHandler.class.getName());
        // The topology has no global stores; opting in follows Kafka Streams' advice (the 5.0 default). The main
        // consumer needs it too: its partition assignor builds a StreamsConfig of its own from the consumer's
        // settings only, and that one warns at start when the key is missing (Kafka 4.3).
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.mainConsumerPrefix(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG), true);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Counting does not depend on the order of results across topics, so a task need not wait for its empty
        // partitions: with idling on (the default, 0), a task fed by one of its five result partitions re-checks the
        // other four on every loop and builds trace strings while doing so, which made the stream thread the
        // busiest non-inference thread of a loaded worker (KafkaBench profile, docs/benchmarks.md).
        p.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // Progress is published every jobs.status-interval-ms (1 s), so the tracker's reads can wait for a batch:
        // one fetch per FETCH_MIN_BYTES of results or per FETCH_MAX_WAIT, instead of one per produce request.
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MIN_BYTES_CONFIG), FETCH_MIN_BYTES);
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG), (int)
                FETCH_MAX_WAIT.toMillis());
        return p;
    }

    private StreamThreadExceptionResponse onStreamThreadFailure(Throwable failure) {
        if (failure instanceof MissingSourceTopicException) {
            log.error(
                    "Job tracker stops: {}. Create <prefix>.jobs and the result topics (topics.create=true does) or "
                            + "set jobs.tracker.enabled=false; inference goes on",
                    failure.getMessage());
            return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        }
        long now = System.nanoTime();
        synchronized (replacements) {
            while (!replacements.isEmpty() && now - replacements.peekFirst() > REPLACEMENT_WINDOW.toNanos()) {
                replacements.removeFirst();
            }
            if (replacements.size() >= MAX_REPLACEMENTS) {
                log.error(
                        "Job tracker stream thread failed {} times within {}; the tracker stops, inference goes on",
                        MAX_REPLACEMENTS + 1,
                        REPLACEMENT_WINDOW,
                        failure);
                return StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            }
            replacements.addLast(now);
        }
        log.error("Job tracker stream thread failed; replacing it", failure);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
    }

    /**
     * The job's status as this worker's store holds it. Empty when this worker does not host the job's partition
     * right now (another worker does, or a rebalance is moving it) or has not seen the job; the fleet-wide view is
     * the compacted status topic.
     */
    public Optional<JobStatus> status(String jobId) {
        return store().map(s -> s.get(jobId));
    }

    /** Every job this worker's store holds now; empty while the tracker is not running. */
    public List<JobStatus> localJobs() {
        List<JobStatus> jobs = new ArrayList<>();
        store().ifPresent(s -> {
            try (KeyValueIterator<String, JobStatus> it = s.all()) {
                it.forEachRemaining(kv -> jobs.add(kv.value));
            }
        });
        return jobs;
    }

    private Optional<ReadOnlyKeyValueStore<String, JobStatus>> store() {
        try {
            return Optional.of(streams.store(StoreQueryParameters.fromNameAndType(
                    JobTopology.STATUS_STORE, QueryableStoreTypes.keyValueStore())));
        } catch (InvalidStateStoreException e) {
            log.debug("Job status store not queryable in state {}: {}", streams.state(), e.getMessage());
            return Optional.empty();
        }
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /**
     * Starts closing without waiting: the stream thread commits and stops on its own, and leaves the group so that a
     * restarted worker's tracker is not held up by this member's session timeout. Safe to call repeatedly.
     */
    public void beginClose() {
        streams.close(closeOptions(Duration.ZERO));
    }

    private static CloseOptions closeOptions(Duration timeout) {
        return CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP)
                .withTimeout(timeout);
    }

    /** Waits up to {@code timeout} for the tracker to have closed; true when it has. */
    public boolean awaitClosed(Duration timeout) {
        boolean closed = streams.close(closeOptions(timeout));
        if (!closed) {
            log.warn("Job tracker did not close within {}", timeout);
        } else if (settings.rebuildState()) {
            // rebuilt at every start anyway: leave nothing behind in the data directory
            deleteStateDir(settings.stateDir());
        }
        return closed;
    }

    @Override
    public void close() {
        awaitClosed(Duration.ofSeconds(10));
    }

    private static void deleteStateDir(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(dir)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            log.warn("Could not delete the job tracker's state directory {}: {}", dir, e.toString());
        }
    }

    /**
     * The default state directory of {@code workerId}: one per worker under {@code dataDir}/jobs. Not under the system
     * temp directory, which the OS may clear under a running worker (Kafka Streams warns about it).
     */
    public static Path defaultStateDir(Path dataDir, String workerId) {
        return dataDir.resolve("jobs").resolve(workerId.replaceAll("[^A-Za-z0-9._-]", "_"));
    }
}
