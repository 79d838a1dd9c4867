package io.modelpool.devstack.registry;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's log: a compacted single-partition Kafka topic, written with an idempotent producer and read
 * from the beginning by an unassigned-group consumer.
 *
 * <p>{@link #catchUp} reads up to the end offset it sees when called, handing each record to the sink in log
 * order, and {@link #append} returns only after the appended record has been read back, so whoever calls them
 * sees its own writes and everything before them. Every wait is bounded by the store timeout; when the broker
 * cannot be reached in time they throw a {@link RegistryException} with error code 50001.
 *
 * <p>Not thread-safe: Kafka's consumer is single-threaded, so the owner calls these under its lock.
 */
final class KafkaSchemaStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaSchemaStore.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private final String topic;
    private final TopicPartition partition;
    private final Duration timeout;
    private final KafkaProducer<byte[], byte[]> producer;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Consumer<StoreRecord> sink;
    private long foreignRecords;

    KafkaSchemaStore(String bootstrapServers, String topic, Duration timeout, Consumer<StoreRecord> sink) {
        this.topic = topic;
        this.partition = new TopicPartition(topic, 0);
        this.timeout = timeout;
        this.sink = sink;
        int timeoutMs = Math.toIntExact(timeout.toMillis());
        this.producer = new KafkaProducer<>(
                Map.of(
                        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ProducerConfig.CLIENT_ID_CONFIG,
                        "modelpool-registry-writer",
                        ProducerConfig.ACKS_CONFIG,
                        "all",
                        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
                        true,
                        ProducerConfig.LINGER_MS_CONFIG,
                        0,
                        ProducerConfig.MAX_BLOCK_MS_CONFIG,
                        timeoutMs,
                        ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        timeoutMs,
                        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG,
                        timeoutMs,
                        ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                        1000),
                new ByteArraySerializer(),
                new ByteArraySerializer());
        this.consumer = new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        bootstrapServers,
                        ConsumerConfig.CLIENT_ID_CONFIG,
                        "modelpool-registry-reader",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        // Only ensureTopic creates the store topic, so it is always compacted with one partition.
                        ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG,
                        false,
                        ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                        timeoutMs,
                        ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG,
                        timeoutMs,
                        ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG,
                        1000,
                        // The consumer only fetches while a request waits on it; a fetch parked on the broker for the
                        // default 500 ms would delay every read-back of a write.
                        ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                        10),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer());
        consumer.assign(List.of(partition));
        consumer.seekToBeginning(List.of(partition));
    }

    /**
     * Creates the topic (one partition, compacted) unless it exists; warns if an existing one is not compacted,
     * since then deletes are never cleaned up (ids stay correct either way).
     */
    static void ensureTopic(String bootstrapServers, String topic, Duration timeout) {
        int timeoutMs = Math.toIntExact(timeout.toMillis());
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs))) {
            int brokers = admin.describeCluster()
                    .nodes()
                    .get(timeoutMs, TimeUnit.MILLISECONDS)
                    .size();
            short replication = (short) Math.min(3, brokers);
            NewTopic schemas = new NewTopic(topic, 1, replication)
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            try {
                admin.createTopics(List.of(schemas)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
                log.info("Created schema store topic {} (1 partition, compacted, replication {})", topic, replication);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw e;
                }
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                Config config = admin.describeConfigs(List.of(resource))
                        .all()
                        .get(timeoutMs, TimeUnit.MILLISECONDS)
                        .get(resource);
                String policy = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
                if (!policy.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
                    log.warn("Schema store topic {} has cleanup.policy={}, not compact", topic, policy);
                }
            }
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            throw RegistryException.storeError(
                    "cannot create or describe topic " + topic + " on " + bootstrapServers + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryException.storeError("interrupted while creating topic " + topic, e);
        }
    }

    /** Reads and applies every record up to the end offset as of this call. */
    void catchUp() {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            long end = consumer.endOffsets(Set.of(partition), timeout).get(partition);
            readTo(end, deadline);
        } catch (KafkaException e) {
            throw RegistryException.storeError("cannot read topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Appends a record and reads the log up to and including it. */
    void append(StoreRecord record) {
        long deadline = System.nanoTime() + timeout.toNanos();
        StoreRecord.Encoded encoded = StoreRecord.Codec.encode(record);
        RecordMetadata written;
        try {
            written = producer.send(new ProducerRecord<>(topic, 0, encoded.key(), encoded.value()))
                    .get(remaining(deadline).toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw RegistryException.storeError("cannot write to topic " + topic + ": " + cause.getMessage(), cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryException.storeError("interrupted while writing to topic " + topic, e);
        }
        try {
            readTo(written.offset() + 1, deadline);
        } catch (KafkaException e) {
            throw RegistryException.storeError("cannot read topic " + topic + ": " + e.getMessage(), e);
        }
    }

    private void readTo(long end, long deadline) {
        while (consumer.position(partition, remaining(deadline)) < end) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(POLL)) {
                apply(r);
            }
            if (System.nanoTime() > deadline) {
                throw RegistryException.storeError(
                        "timed out after " + timeout.toMillis() + " ms reading topic " + topic + " up to offset " + end,
                        null);
            }
        }
    }

    private void apply(ConsumerRecord<byte[], byte[]> r) {
        Optional<StoreRecord> decoded;
        try {
            decoded = StoreRecord.Codec.decode(r.key(), r.value());
        } catch (IllegalArgumentException e) {
            log.warn("Skipping unreadable record at offset {} of {}: {}", r.offset(), topic, e.getMessage());
            return;
        }
        if (decoded.isPresent()) {
            sink.accept(decoded.get());
        } else if (foreignRecords++ == 0) {
            log.warn(
                    "Topic {} holds records of another format (first at offset {}); they are skipped",
                    topic,
                    r.offset());
        }
    }

    private static Duration remaining(long deadline) {
        return Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
    }

    @Override
    public void close() {
        Duration grace = Duration.ofSeconds(2);
        try {
            producer.close(grace);
        } finally {
            consumer.close(CloseOptions.timeout(grace));
        }
    }
}
