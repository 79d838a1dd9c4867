package io.modelpool.worker;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.jobs.JobTracker;
import io.modelpool.worker.kafka.Intake;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.kafka.IntakeSettings;
import io.modelpool.worker.kafka.JobControls;
import io.modelpool.worker.kafka.Publishability;
import io.modelpool.worker.kafka.SerdeCodec;
import io.modelpool.worker.kafka.ShutdownReport;
import io.modelpool.worker.kafka.TopicProvisioner;
import io.modelpool.worker.lifecycle.ShutdownCoordinator;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.observe.Observability;
import io.modelpool.worker.pool.PoolMaintenance;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker process's parts, wired together: the manifest's capability pools, the Kafka clients, the intake thread.
 * The composition root; all behaviour lives in the parts.
 *
 * <p>{@link #start} returns once the intake thread runs. {@link #beginShutdown} may be called from any thread;
 * {@link #awaitShutdown} blocks until the intake thread has finished its shutdown sequence and the pools are closed.
 */
public final class Worker implements ShutdownCoordinator.Target {

    private static final Logger log = LoggerFactory.getLogger(Worker.class);
    /** How long after the signal the exit may wait for the job tracker, if the intake and pools finish sooner. */
    private static final Duration TRACKER_GRACE = Duration.ofMillis(500);
    /** How long a starting worker waits to have read the job controls before it dispatches anyway. */
    private static final Duration CONTROLS_CATCH_UP = Duration.ofSeconds(10);

    private final WorkerConfig config;
    private final PoolGroup capabilities;
    private final Intake intake;
    private final Thread intakeThread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Observability observability;
    private final PoolMaintenance maintenance;
    /** The job tracker, when jobs.tracker.enabled; started after the intake, closed alongside the drain. */
    private volatile JobTracker jobTracker;
    /** Cancels and completion windows, read from the beginning before the intake starts. */
    private final JobControls jobControls;

    private volatile long shutdownBeganNanos;

    private Worker(
            WorkerConfig config,
            PoolGroup capabilities,
            Intake intake,
            Observability observability,
            PoolMaintenance maintenance,
            JobControls jobControls) {
        this.config = config;
        this.jobControls = jobControls;
        this.maintenance = maintenance;
        this.observability = observability;
        this.capabilities = capabilities;
        this.intake = intake;
        this.intakeThread = new Thread(intake, "modelpool-intake");
        this.intakeThread.setUncaughtExceptionHandler((t, e) -> {
            failure.set(e);
            log.error("Intake thread failed", e);
        });
    }

    /** Loads the manifest, builds the pools, connects the clients and starts the intake thread. */
    public static Worker start(WorkerConfig config, IntakeListener listener) {
        String workerId = config.workerId();
        ModelManifest manifest = ManifestLoader.load(config.manifest());
        PoolGroup capabilities = CapabilityRegistry.fromManifest(manifest, config.drainTimeout());
        Observability observability = null;
        PoolMaintenance maintenance = null;
        JobControls jobControls = null;
        try {
            maintenance = capabilities.startMaintenance(maintenanceSettings(config), config.poolIdleUnload());
            observability = Observability.create(config, capabilities);
            capabilities.warmUp(config.poolWarmUp());
            if (config.createTopics()) {
                createTopics(config, capabilities.enabled());
            }
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerSettings(config, workerId));
            if (config.exactlyOnce() && !config.transactionalIdStable()) {
                log.warn(
                        "exactly_once with transactional id {} derived from a per-process worker id: a crashed "
                                + "worker's open transaction then holds back read_committed readers until "
                                + "transaction.timeout.ms; set worker.id, group.instance.id or transaction.id",
                        config.transactionalId(workerId));
            }
            Map<String, Object> producerSettings = producerSettings(config, workerId);
            Publishability.check(producerSettings, config.deadLetterMaxValueBytes(), config.maxRequestBytes());
            KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerSettings);
            observability.bindKafkaClients(consumer, producer);
            jobControls = startJobControls(config, workerId);
            Intake intake = new Intake(
                    settings(config, workerId),
                    capabilities,
                    consumer,
                    producer,
                    new SerdeCodec(
                            config.registryConfig(),
                            config.topicPrefix(),
                            capabilities.enabled(),
                            config.schemaLookupsPerSecond(),
                            config.schemaLookupsPerSecondWhileBusy(),
                            () -> capabilities.pending() > 0,
                            config.schemaLookupThreads()),
                    observability.intakeListener(listener),
                    jobControls,
                    Clock.systemUTC());
            observability.watchIntake(intake::hasAssignment, intake::shutdownRequested, intake::lastTurnNanos);
            Worker worker = new Worker(config, capabilities, intake, observability, maintenance, jobControls);
            worker.intakeThread.start();
            if (config.jobsTrackerEnabled()) {
                worker.startJobTracker(workerId);
            }
            log.info(
                    "Worker {} started: capabilities={} group={} bootstrap={}",
                    workerId,
                    capabilities.enabled(),
                    config.groupId(),
                    config.bootstrapServers());
            return worker;
        } catch (RuntimeException e) {
            if (jobControls != null) {
                jobControls.close();
            }
            if (observability != null) {
                observability.close();
            }
            if (maintenance != null) {
                maintenance.close();
            }
            capabilities.close();
            throw e;
        }
    }

    /**
     * Starts the job controls feed and waits, up to {@link #CONTROLS_CATCH_UP}, until it has read what its topics
     * hold, so that a restarted worker does not run requests of a job cancelled while it was away.
     */
    private static JobControls startJobControls(WorkerConfig config, String workerId) {
        JobControls controls = JobControls.start(new JobControls.Settings(
                config.topicPrefix(),
                workerId,
                config.bootstrapServers(),
                config.kafkaCommonOverrides(),
                config.registryConfig(),
                config.jobsRetention()));
        try {
            if (!controls.awaitCaughtUp(CONTROLS_CATCH_UP)) {
                log.warn(
                        "Job controls not read within {}; serving on, cancels apply once they are read",
                        CONTROLS_CATCH_UP);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            controls.close();
            throw new IllegalStateException("interrupted while reading job controls", e);
        }
        return controls;
    }

    private void startJobTracker(String workerId) {
        try {
            jobTracker = JobTracker.start(JobTracker.settings(config, workerId));
        } catch (RuntimeException e) {
            // the tracker only counts results; a worker that cannot run it still serves inference
            log.error("Job tracker did not start on worker {}; inference goes on without it", workerId, e);
        }
    }

    static PoolMaintenance.Settings maintenanceSettings(WorkerConfig c) {
        return PoolMaintenance.Settings.builder()
                .interval(c.poolMaintenanceInterval())
                .memoryBudgetBytes(c.poolMemoryBudgetBytes())
                .scaleUpWait(c.poolScaleUpWait())
                .workerIdle(c.poolWorkerIdle())
                .loadRetryBackoff(c.poolLoadRetryBackoff())
                .loadRetryMax(c.poolLoadRetryBackoffMax())
                .build();
    }

    static IntakeSettings settings(WorkerConfig c, String workerId) {
        return IntakeSettings.from(c, workerId);
    }

    static Map<String, Object> consumerSettings(WorkerConfig c, String workerId) {
        Map<String, Object> m = new HashMap<>();
        m.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
        m.put(ConsumerConfig.GROUP_ID_CONFIG, c.groupId());
        m.put(ConsumerConfig.CLIENT_ID_CONFIG, workerId + "-intake");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        m.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        m.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, c.maxPollRecords());
        // Closing the consumer waits for the fetch in flight, which an idle broker holds for fetch.max.wait.ms
        // (500 ms by default): most of an idle worker's time to exit. Records still return as soon as they arrive.
        m.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        m.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        m.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        m.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, c.groupProtocol());
        if ("classic".equals(c.groupProtocol())) {
            m.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        }
        c.groupInstanceId().ifPresent(id -> m.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, id));
        // Both guarantees: requests produced in transactions are taken only once committed, and aborted ones
        // never (at least once must not compute a request its producer took back either).
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        m.putAll(c.kafkaConsumerOverrides());
        return m;
    }

    static Map<String, Object> producerSettings(WorkerConfig c, String workerId) {
        Map<String, Object> m = new HashMap<>();
        m.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, c.bootstrapServers());
        m.put(ProducerConfig.CLIENT_ID_CONFIG, workerId + "-results");
        m.put(ProducerConfig.ACKS_CONFIG, "all");
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        m.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        // Embedding vectors are float bits that lz4 barely shrinks, and compressed batches cost the worker, the
        // broker (which validates them) and every reader CPU (KafkaBench, one run each: through-kafka/pool-only
        // 0.716 with lz4, 0.782 without; docs/benchmarks.md). Text-heavy fleets can set
        // kafka.producer.compression.type.
        m.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        m.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        m.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        if (c.exactlyOnce()) {
            m.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, c.transactionalId(workerId));
        }
        m.putAll(c.kafkaProducerOverrides());
        return m;
    }

    private static void createTopics(WorkerConfig c, Set<Capability> enabled) {
        List<String> topics = new ArrayList<>();
        for (Capability cap : Capability.values()) {
            topics.add(Topics.requests(c.topicPrefix(), cap));
            topics.add(Topics.bulkRequests(c.topicPrefix(), cap));
            topics.add(Topics.results(c.topicPrefix(), cap));
        }
        topics.add(Topics.deadLetters(c.topicPrefix()));
        topics.add(Topics.jobs(c.topicPrefix()));
        topics.add(Topics.jobStatus(c.topicPrefix()));
        topics.add(Topics.jobControl(c.topicPrefix()));
        Map<String, Object> admin = new HashMap<>(c.kafkaCommonOverrides());
        admin.put("bootstrap.servers", c.bootstrapServers());
        TopicProvisioner.ensure(
                admin,
                topics,
                Set.of(
                        Topics.jobs(c.topicPrefix()),
                        Topics.jobStatus(c.topicPrefix()),
                        Topics.jobControl(c.topicPrefix())),
                c.topicPartitions(),
                c.topicReplicationFactor());
    }

    public Intake intake() {
        return intake;
    }

    public PoolGroup capabilities() {
        return capabilities;
    }

    /** The worker's meters and HTTP endpoints; closed at the end of {@link #awaitShutdown}. */
    public Observability observability() {
        return observability;
    }

    /** The job tracker running in this worker; empty when switched off or when it failed to start. */
    public Optional<JobTracker> jobTracker() {
        return Optional.ofNullable(jobTracker);
    }

    public WorkerConfig config() {
        return config;
    }

    /**
     * Step 1 of the shutdown sequence, on the calling thread (a signal handler): every pool rejects new work with
     * {@code PoolError.ShuttingDown} from now on, then the intake is told to stop dispatching and drain. Rejecting
     * here rather than on the intake thread means no record is handed to a pool once the signal has arrived, even
     * while the intake thread is still inside a poll's batch.
     */
    @Override
    public void beginShutdown() {
        shutdownBeganNanos = System.nanoTime();
        capabilities.beginShutdown();
        maintenance.beginShutdown(); // nothing is spawned, loaded or unloaded while the pools drain
        intake.requestShutdown();
        jobControls.beginClose(); // non-blocking; what it read still withdraws work during the drain
        JobTracker tracker = jobTracker;
        if (tracker != null) {
            tracker.beginClose(); // non-blocking: the tracker closes while the intake drains
        }
    }

    @Override
    public ShutdownCoordinator.Outcome awaitShutdown() throws InterruptedException {
        intakeThread.join();
        // Not joined: the feed holds no outcome and no group membership, and its daemon thread closes its consumer
        // on its own; waiting for it here spent seconds past the drain.
        jobControls.beginClose();
        maintenance.close();
        // One deadline from the signal bounds every step after the drain: the intake used its share for publishing,
        // committing and closing the clients; the pools get what is left and do not join abandoned native batches.
        long began = shutdownBeganNanos == 0 ? System.nanoTime() : shutdownBeganNanos;
        long deadline =
                began + config.drainTimeout().plus(config.closeTimeout()).toNanos();
        capabilities.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        JobTracker tracker = jobTracker;
        if (tracker != null) {
            // The tracker has been closing since the signal, alongside the drain. It only counts results and
            // recovers its counts from its changelog after a restart, so it must not hold the exit past the
            // intake's own sequence: a streams client stuck in a rebalance used the whole drain plus close budget
            // (10 s by default), long after the intake had finished. It gets TRACKER_GRACE from the signal.
            Duration left = TRACKER_GRACE.minusNanos(System.nanoTime() - shutdownBeganNanos);
            tracker.awaitClosed(left.isNegative() ? Duration.ZERO : left);
        }
        observability.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        ShutdownReport report = intake.shutdownReport();
        Duration sinceSignal = Duration.ofNanos(System.nanoTime() - began);
        if (report == null) {
            return new ShutdownCoordinator.Outcome(sinceSignal, 0, intake.unfinished(), false, true);
        }
        return new ShutdownCoordinator.Outcome(
                sinceSignal,
                report.drained(),
                report.abandoned(),
                report.committed(),
                failure.get() != null || report.fatal());
    }
}
