package io.modelpool.cli;

import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The fleet's job progress as the compacted {@code <prefix>.jobs.status} topic holds it: the latest {@link JobStatus}
 * per job id. Reads without a consumer group (nothing is committed), from the start of the topic.
 *
 * <p>Not thread-safe: one command's thread uses it. Every blocking call is bounded by the connection timeout it was
 * opened with; Kafka failures come out as {@link CliException} with a message that says what to check.
 */
public final class JobStatusFeed implements AutoCloseable {

    private static final Duration POLL = Duration.ofMillis(200);

    private final KafkaConnection connection;
    private final Duration timeout;
    private final Consumer<String, JobStatus> consumer;
    private final List<TopicPartition> partitions;
    private final Map<String, JobStatus> latest = new LinkedHashMap<>();

    private JobStatusFeed(
            KafkaConnection connection,
            Duration timeout,
            Consumer<String, JobStatus> consumer,
            List<TopicPartition> partitions) {
        this.connection = connection;
        this.timeout = timeout;
        this.consumer = consumer;
        this.partitions = partitions;
    }

    /**
     * Connects and positions at the start of the status topic.
     *
     * @throws CliException when Kafka is unreachable within {@code timeout} or the topic does not exist
     */
    public static JobStatusFeed open(KafkaConnection connection, Duration timeout) {
        String topic = Topics.jobStatus(connection.topicPrefix());
        Map<String, Object> config = new HashMap<>(connection.clientConfig());
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrapServers());
        config.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, connection.schemaRegistryUrl());
        config.put(CommonClientConfigs.CLIENT_ID_CONFIG, "modelpool-cli-job-status");
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        Deserializer<JobStatus> values = ConfluentAvroSerde.specificDeserializer(JobStatus.class, config, false);
        Consumer<String, JobStatus> consumer;
        try {
            consumer = new KafkaConsumer<>(config, new StringDeserializer(), values);
        } catch (KafkaException e) {
            values.close();
            throw KafkaFailures.translate("starting the consumer", e, connection, timeout);
        }
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
            if (infos == null || infos.isEmpty()) {
                throw new CliException("topic " + topic + " does not exist on Kafka at " + connection.bootstrapServers()
                        + " (no worker with the job tracker has started with topics.create, or check --topic-prefix)");
            }
            List<TopicPartition> partitions = infos.stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            return new JobStatusFeed(connection, timeout, consumer, partitions);
        } catch (KafkaException e) {
            consumer.close(Duration.ZERO);
            throw KafkaFailures.translate("looking up " + topic, e, connection, timeout);
        } catch (CliException e) {
            consumer.close(Duration.ZERO);
            throw e;
        }
    }

    /** Reads up to the topic's current end and returns the latest status of every job, in first-seen order. */
    public Map<String, JobStatus> readToEnd() {
        try {
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!caughtUp(end)) {
                if (System.nanoTime() > deadline) {
                    throw new CliException("could not read " + partitions.get(0).topic() + " to its end within "
                            + timeout.toSeconds() + "s");
                }
                take(POLL);
            }
        } catch (KafkaException e) {
            throw KafkaFailures.translate("reading " + partitions.get(0).topic(), e, connection, timeout);
        }
        return Map.copyOf(latest);
    }

    /** Waits up to {@code wait} for newer statuses; returns the latest status of every job seen so far. */
    public Map<String, JobStatus> poll(Duration wait) {
        try {
            take(wait);
        } catch (KafkaException e) {
            throw KafkaFailures.translate("reading " + partitions.get(0).topic(), e, connection, timeout);
        }
        return Map.copyOf(latest);
    }

    /** The latest status of every job seen so far, in the order the jobs first appeared. */
    public List<JobStatus> jobs() {
        return List.copyOf(latest.values());
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (TopicPartition p : partitions) {
            if (consumer.position(p, timeout) < end.getOrDefault(p, 0L)) {
                return false;
            }
        }
        return true;
    }

    private void take(Duration wait) {
        for (ConsumerRecord<String, JobStatus> record : consumer.poll(wait)) {
            if (record.value() == null) {
                latest.remove(record.key());
            } else {
                latest.put(record.key(), record.value());
            }
        }
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(1));
    }
}
