package io.modelpool.worker.kafka;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.AvroSerdeException;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.schemas.serde.UndecodableRecordException;
import io.modelpool.v1.JobAction;
import io.modelpool.v1.JobControl;
import io.modelpool.v1.JobRegistration;
import io.modelpool.worker.pool.Withdrawal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fleet's word on batch jobs, as one worker sees it: which jobs are cancelled ({@code <prefix>.jobs.control},
 * written by {@code modelpool cancel}) and when each job's completion window closes ({@code expiresAt} of its
 * registration on {@code <prefix>.jobs}). One consumer thread per worker reads both compacted topics from the
 * beginning, without a consumer group, and keeps the latest word per job; a cancel reaches every worker within one
 * fetch (the broker answers a fetch as soon as a record arrives), well inside a second.
 *
 * <p>As a {@link JobGate} it answers with a live {@link Withdrawal} per job: the intake asks it before dispatch, and
 * the pool again just before the task's batch runs, so a cancel that arrives while a request waits in a pool queue
 * still withdraws it.
 *
 * <p>Memory: only jobs with a cancel or a completion window are kept, and each is forgotten {@code retention} after
 * its cancel or its window's end (the tracker's {@code jobs.retention-ms}), so the map does not grow with every job
 * ever run. A request of a forgotten job runs normally.
 *
 * <p>Threads: {@link #withdrawal} and the returned checks may be called from any thread; the feed thread alone
 * touches the consumer. {@link #close()} wakes it and waits for it.
 */
public final class JobControls implements JobGate, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobControls.class);
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration DEPENDENCY_RETRY = Duration.ofSeconds(1);
    private static final Duration MISSING_TOPIC_RECHECK = Duration.ofSeconds(10);
    private static final Duration PRUNE_INTERVAL = Duration.ofMinutes(1);
    private static final long NEVER = Long.MAX_VALUE;
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(2);

    /**
     * @param topicPrefix the fleet's topic prefix
     * @param clientId this worker's client id prefix
     * @param bootstrapServers Kafka bootstrap servers
     * @param kafkaSettings extra client settings (security and the like)
     * @param registryConfig schema-registry settings
     * @param retention how long after a cancel or a window's end the job is remembered
     */
    public record Settings(
            String topicPrefix,
            String clientId,
            String bootstrapServers,
            Map<String, Object> kafkaSettings,
            Map<String, ?> registryConfig,
            Duration retention) {
        public Settings {
            Objects.requireNonNull(topicPrefix, "topicPrefix");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            kafkaSettings = Map.copyOf(kafkaSettings);
            registryConfig = Map.copyOf(registryConfig);
            Objects.requireNonNull(retention, "retention");
        }
    }

    /** What is known of one job: when it was cancelled and when its window closes, epoch ms ({@link #NEVER}). */
    record Word(long cancelledAtMs, String cancelledBy, long expiresAtMs) {
        long forgetAfterMs(Duration retention) {
            long last = Math.max(cancelledAtMs == NEVER ? 0 : cancelledAtMs, expiresAtMs == NEVER ? 0 : expiresAtMs);
            return last > NEVER - retention.toMillis() ? NEVER : last + retention.toMillis();
        }
    }

    private final Map<String, Word> jobs = new ConcurrentHashMap<>();
    private final Settings settings;
    private final Clock clock;
    private final Consumer<byte[], byte[]> consumer;
    private final Deserializer<JobControl> controls;
    private final Deserializer<JobRegistration> registrations;
    private final String controlTopic;
    private final String jobsTopic;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closing;
    private Map<TopicPartition, Long> catchUpTo;
    private long lastPruneMs;
    private long lastTopicCheckMs;

    JobControls(Settings settings, Consumer<byte[], byte[]> consumer, Clock clock) {
        this.settings = settings;
        this.consumer = consumer;
        this.clock = clock;
        this.controls = ConfluentAvroSerde.specificDeserializer(JobControl.class, settings.registryConfig(), false);
        this.registrations =
                ConfluentAvroSerde.specificDeserializer(JobRegistration.class, settings.registryConfig(), false);
        this.controlTopic = Topics.jobControl(settings.topicPrefix());
        this.jobsTopic = Topics.jobs(settings.topicPrefix());
        this.thread = new Thread(this::run, "modelpool-job-controls");
        this.thread.setDaemon(true);
    }

    /** Starts the feed thread; see {@link #awaitCaughtUp} to wait for what the topics held at start. */
    public static JobControls start(Settings settings) {
        Map<String, Object> m = new HashMap<>(settings.kafkaSettings());
        m.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        m.put(ConsumerConfig.CLIENT_ID_CONFIG, settings.clientId() + "-job-controls");
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        m.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        m.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        m.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        m.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        m.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        JobControls controls = new JobControls(settings, new KafkaConsumer<>(m), Clock.systemUTC());
        controls.thread.start();
        return controls;
    }

    /**
     * Waits until the feed has read what both topics held when it started (or found them missing); true when it
     * has. A worker waits for this before dispatching, so that a restarted worker never runs requests of a job
     * cancelled while it was away.
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public Withdrawal withdrawal(String jobId) {
        return () -> reason(jobId, clock.millis());
    }

    /** Why requests of {@code jobId} are withdrawn at {@code nowMs}, or null when they are wanted. */
    Withdrawal.Reason reason(String jobId, long nowMs) {
        Word word = jobs.get(jobId);
        if (word == null) {
            return null;
        }
        if (word.cancelledAtMs() != NEVER) {
            return new Withdrawal.Reason(
                    Withdrawal.Kind.CANCELLED,
                    "job " + jobId + " was cancelled at " + Instant.ofEpochMilli(word.cancelledAtMs()) + " by "
                            + word.cancelledBy());
        }
        if (nowMs >= word.expiresAtMs()) {
            return new Withdrawal.Reason(
                    Withdrawal.Kind.EXPIRED,
                    "the completion window of job " + jobId + " closed at " + Instant.ofEpochMilli(word.expiresAtMs())
                            + " before this request was answered");
        }
        return null;
    }

    /** Applies a cancel. */
    void cancelled(String jobId, long atMs, String by) {
        jobs.merge(
                jobId,
                new Word(atMs, by, NEVER),
                (old, now) -> old.cancelledAtMs() != NEVER ? old : new Word(atMs, by, old.expiresAtMs()));
    }

    /** Applies a registration's completion window. */
    void expiresAt(String jobId, long atMs) {
        jobs.merge(
                jobId,
                new Word(NEVER, null, atMs),
                (old, now) -> new Word(old.cancelledAtMs(), old.cancelledBy(), atMs));
    }

    /** Forgets jobs whose cancel or window ended more than the retention ago. */
    void prune(long nowMs) {
        jobs.entrySet().removeIf(e -> e.getValue().forgetAfterMs(settings.retention()) <= nowMs);
    }

    /** Jobs remembered now. */
    int size() {
        return jobs.size();
    }

    private void run() {
        try {
            while (!closing) {
                try {
                    turn();
                } catch (WakeupException e) {
                    if (!closing) {
                        log.debug("Job controls feed woken; reading on");
                    }
                } catch (KafkaException e) {
                    // Kafka away or a metadata timeout: cancels wait in the topic, so read on after a pause
                    if (!closing) {
                        log.warn(
                                "Job controls feed cannot read now ({}); retrying in {} ms",
                                e.toString(),
                                DEPENDENCY_RETRY.toMillis());
                        Thread.sleep(DEPENDENCY_RETRY.toMillis());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error(
                    "Job controls feed stopped; cancels and completion windows are no longer enforced on this "
                            + "worker",
                    e);
        } finally {
            caughtUp.countDown();
            try {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(1)));
            } catch (KafkaException e) {
                log.warn("Closing the job controls consumer failed: {}", e.toString());
            }
        }
    }

    /** One poll: (re)assign, apply what came, note the catch-up, prune now and then. */
    private void turn() throws InterruptedException {
        assignExistingTopics();
        if (consumer.assignment().isEmpty()) {
            checkCaughtUp(); // neither topic exists yet: nothing to read, so caught up; look again later
            Thread.sleep(POLL.toMillis());
            return;
        }
        ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (!apply(r)) {
                    break; // rewound to r: the registry is away; retried at the next poll
                }
            }
        }
        checkCaughtUp();
        long now = clock.millis();
        if (now - lastPruneMs >= PRUNE_INTERVAL.toMillis()) {
            prune(now);
            lastPruneMs = now;
        }
    }

    /** Assigns the two topics (those that exist), from the beginning; rechecks missing ones now and then. */
    private void assignExistingTopics() {
        long now = clock.millis();
        if (catchUpTo != null
                && (consumer.assignment().size() == 2 || now - lastTopicCheckMs < MISSING_TOPIC_RECHECK.toMillis())) {
            return;
        }
        lastTopicCheckMs = now;
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : List.of(controlTopic, jobsTopic)) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, Duration.ofSeconds(10));
            if (infos == null || infos.isEmpty()) {
                if (catchUpTo == null) {
                    log.warn(
                            "Topic {} does not exist: cancels and completion windows are not enforced until it "
                                    + "does (topics.create=true creates it)",
                            topic);
                }
                continue;
            }
            infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        }
        if (partitions.size() == consumer.assignment().size() && catchUpTo != null) {
            return;
        }
        List<TopicPartition> added = partitions.stream()
                .filter(tp -> !consumer.assignment().contains(tp))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(added);
        if (catchUpTo == null) {
            catchUpTo = new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(10)));
        }
    }

    private void checkCaughtUp() {
        if (caughtUp.getCount() == 0 || catchUpTo == null) {
            return;
        }
        for (Map.Entry<TopicPartition, Long> e : catchUpTo.entrySet()) {
            if (consumer.position(e.getKey()) < e.getValue()) {
                return;
            }
        }
        log.info("Job controls read: {} jobs with a cancel or a completion window", jobs.size());
        caughtUp.countDown();
    }

    /** Applies one record; false when the registry could not be reached (the partition is rewound to it). */
    private boolean apply(ConsumerRecord<byte[], byte[]> r) throws InterruptedException {
        if (r.value() == null || r.key() == null) {
            return true;
        }
        try {
            if (r.topic().equals(controlTopic)) {
                JobControl control = controls.deserialize(r.topic(), r.headers(), r.value());
                if (control.getAction() == JobAction.CANCEL) {
                    cancelled(control.getJobId(), control.getRequestedAt().toEpochMilli(), control.getRequestedBy());
                    log.info(
                            "Job {} cancelled by {}: its requests not yet computing are answered CANCELLED",
                            control.getJobId(),
                            control.getRequestedBy());
                }
            } else {
                JobRegistration registration = registrations.deserialize(r.topic(), r.headers(), r.value());
                if (registration.getExpiresAt() != null) {
                    expiresAt(
                            registration.getJobId(), registration.getExpiresAt().toEpochMilli());
                }
            }
            return true;
        } catch (UndecodableRecordException e) {
            log.warn(
                    "Job controls skip undecodable record {}-{}@{}: {}",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getMessage());
            return true;
        } catch (AvroSerdeException e) {
            log.warn(
                    "Job controls cannot decode {}-{}@{} now ({}); retrying in {} ms",
                    r.topic(),
                    r.partition(),
                    r.offset(),
                    e.getMessage(),
                    DEPENDENCY_RETRY.toMillis());
            consumer.seek(new TopicPartition(r.topic(), r.partition()), r.offset());
            Thread.sleep(DEPENDENCY_RETRY.toMillis());
            return false;
        }
    }

    /**
     * Starts stopping the feed without waiting (safe from a signal handler); what it has read still answers
     * {@link #withdrawal}, so work drained at shutdown is still withdrawn.
     */
    public void beginClose() {
        closing = true;
        consumer.wakeup();
    }

    /** Stops the feed thread and waits up to {@link #CLOSE_WAIT} for it to close its consumer. */
    @Override
    public void close() {
        beginClose();
        try {
            thread.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
