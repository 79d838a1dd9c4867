package io.modelpool.cli.kafka;

import io.modelpool.cli.CliException;
import io.modelpool.cli.KafkaConnection;
import io.modelpool.schemas.serde.UndecodableRecordException;
import io.modelpool.v1.TextEmbeddingResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a result topic from a fixed starting point, with every partition assigned manually (no consumer
 * group, no commits).
 *
 * <p>{@link #atEnd} takes each partition's end offset when it opens, so a caller that opens the tail
 * before producing its requests sees every result of those requests, however fast they come back.
 * {@link #atBeginning} replays the whole topic. Records that cannot be decoded are skipped with a
 * warning, never returned and never fatal; a record that cannot be decoded for another reason (the
 * schema registry is unreachable) is read again on the next poll. Results produced inside aborted
 * transactions are not seen
 * ({@code isolation.level=read_committed}).
 *
 * <p>Not thread-safe: one thread opens, polls and closes it.
 */
public final class ResultTail implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ResultTail.class);

    private final Consumer<String, TextEmbeddingResult> consumer;
    private final String topic;
    private long skipped;
    private boolean retrying;

    private ResultTail(Consumer<String, TextEmbeddingResult> consumer, String topic) {
        this.consumer = consumer;
        this.topic = topic;
    }

    /**
     * Opens the tail at the current end of {@code topic}.
     *
     * @throws CliException when Kafka cannot be reached within {@code timeout} or the topic does not exist
     */
    public static ResultTail atEnd(KafkaConnection connection, String topic, Duration timeout, String clientId) {
        return open(connection, topic, timeout, clientId, false);
    }

    /** Opens the tail at the beginning of {@code topic}; see {@link #atEnd}. */
    public static ResultTail atBeginning(KafkaConnection connection, String topic, Duration timeout, String clientId) {
        return open(connection, topic, timeout, clientId, true);
    }

    /**
     * Opens the tail at the given offset of each partition (a partition not named starts at its beginning): where an
     * earlier run's tail started, so that a resumed job sees every result its requests ever got.
     */
    public static ResultTail atOffsets(
            KafkaConnection connection, String topic, Map<Integer, Long> offsets, Duration timeout, String clientId) {
        return open(connection, topic, timeout, clientId, offsets);
    }

    private static ResultTail open(
            KafkaConnection connection, String topic, Duration timeout, String clientId, boolean fromBeginning) {
        return open(connection, topic, timeout, clientId, fromBeginning ? Map.of() : null);
    }

    /** {@code offsets} null: at the end; otherwise at those offsets, the beginning where none is named. */
    private static ResultTail open(
            KafkaConnection connection, String topic, Duration timeout, String clientId, Map<Integer, Long> offsets) {
        Consumer<String, TextEmbeddingResult> consumer = Clients.resultConsumer(connection, timeout, clientId);
        try {
            List<TopicPartition> partitions = partitionsOf(consumer, topic, connection, timeout);
            consumer.assign(partitions);
            if (offsets != null) {
                consumer.seekToBeginning(partitions);
                for (TopicPartition partition : partitions) {
                    Long offset = offsets.get(partition.partition());
                    if (offset != null) {
                        consumer.seek(partition, offset);
                    }
                }
            } else {
                Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
                ends.forEach(consumer::seek);
            }
            // Resolve positions now, so that "the end" means the end before the caller produces.
            for (TopicPartition partition : partitions) {
                consumer.position(partition, timeout);
            }
            return new ResultTail(consumer, topic);
        } catch (KafkaException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw KafkaFailures.translate("reading the partitions of " + topic, e, connection, timeout);
        } catch (RuntimeException e) {
            consumer.close(CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
    }

    /**
     * The partitions of {@code topic}.
     *
     * @throws CliException when the topic does not exist
     */
    static List<TopicPartition> partitionsOf(
            Consumer<?, ?> consumer, String topic, KafkaConnection connection, Duration timeout) {
        List<PartitionInfo> infos = consumer.partitionsFor(topic, timeout);
        if (infos == null || infos.isEmpty()) {
            throw new CliException("topic " + topic + " does not exist on Kafka at " + connection.bootstrapServers()
                    + " (start a worker, which creates its topics, or check --topic-prefix)");
        }
        return infos.stream()
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
    }

    /**
     * Waits up to {@code timeout} for results and returns those that arrived, in partition order.
     * Undecodable records are skipped.
     */
    public List<TextEmbeddingResult> poll(Duration timeout) {
        List<TextEmbeddingResult> results = new ArrayList<>();
        try {
            for (ConsumerRecord<String, TextEmbeddingResult> record : consumer.poll(timeout)) {
                if (record.value() != null) {
                    results.add(record.value());
                }
            }
            retrying = false;
        } catch (RecordDeserializationException e) {
            if (e.getCause() instanceof UndecodableRecordException) {
                skipped++;
                log.warn(
                        "Skipped an undecodable record on {} partition {} offset {}: {}",
                        topic,
                        e.topicPartition().partition(),
                        e.offset(),
                        e.getCause().getMessage());
                consumer.seek(e.topicPartition(), e.offset() + 1);
            } else {
                // Not the record's fault (the registry is unreachable, say): read it again on the next poll.
                if (!retrying) {
                    log.warn(
                            "Cannot decode {} partition {} offset {} yet, retrying: {}",
                            topic,
                            e.topicPartition().partition(),
                            e.offset(),
                            e.getMessage());
                    retrying = true;
                }
                consumer.seek(e.topicPartition(), e.offset());
            }
        }
        return results;
    }

    /** The offset each partition will be read from next, by partition number. */
    public Map<Integer, Long> positions() {
        Map<Integer, Long> positions = new TreeMap<>();
        for (TopicPartition partition : consumer.assignment()) {
            positions.put(partition.partition(), consumer.position(partition));
        }
        return positions;
    }

    /** How many undecodable records were skipped. */
    public long skipped() {
        return skipped;
    }

    /** Makes a blocked or later {@link #poll} return at once by throwing {@link org.apache.kafka.common.errors.WakeupException}; callable from any thread. */
    public void wakeup() {
        consumer.wakeup();
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
