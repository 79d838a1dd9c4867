package io.modelpool.cli.kafka;

import io.modelpool.cli.CliException;
import io.modelpool.cli.KafkaConnection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Which of a job's requests Kafka already holds, read from the request topic itself.
 *
 * <p>An embed job marks each request with two headers: {@value #JOB_HEADER} (the job id) and {@value #INDEX_HEADER}
 * (the request's position in the job, 0-based, in decimal). A resumed run reads the request topic from where it
 * ended before the job started ({@link #endOffsets}) to its current end, headers only (values are never decoded),
 * and learns the positions already produced, so it produces only the others. Kafka's record is the proof: a request
 * the killed run handed to its producer but Kafka never stored is produced again, one that Kafka stored is not.
 */
public final class ProducedRequests {
    public static final String JOB_HEADER = "modelpool-job";
    public static final String INDEX_HEADER = "modelpool-request-index";

    private ProducedRequests() {}

    /** The headers that mark request {@code index} of job {@code jobId}. */
    public static Headers headers(String jobId, long index) {
        RecordHeaders headers = new RecordHeaders();
        headers.add(JOB_HEADER, jobId.getBytes(StandardCharsets.UTF_8));
        headers.add(INDEX_HEADER, Long.toString(index).getBytes(StandardCharsets.UTF_8));
        return headers;
    }

    /**
     * The current end offset of each partition of {@code topic}, by partition number.
     *
     * @throws CliException when Kafka does not answer within {@code timeout} or the topic does not exist
     */
    public static Map<Integer, Long> endOffsets(KafkaConnection connection, String topic, Duration timeout) {
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(connection, timeout)) {
            List<TopicPartition> partitions = ResultTail.partitionsOf(consumer, topic, connection, timeout);
            Map<Integer, Long> ends = new TreeMap<>();
            consumer.endOffsets(partitions, timeout).forEach((p, offset) -> ends.put(p.partition(), offset));
            return ends;
        } catch (KafkaException e) {
            throw KafkaFailures.translate("reading the end of " + topic, e, connection, timeout);
        }
    }

    /**
     * Reads {@code topic} from {@code from} (a partition not named: from its beginning) to its current end and
     * returns the positions at or after {@code firstIndex} of job {@code jobId}'s requests found there, as bits
     * counted from {@code firstIndex}.
     *
     * @throws CliException when Kafka does not answer, or the topic makes no progress for {@code timeout}
     */
    public static BitSet scan(
            KafkaConnection connection,
            String topic,
            Map<Integer, Long> from,
            String jobId,
            long firstIndex,
            Duration timeout) {
        byte[] job = jobId.getBytes(StandardCharsets.UTF_8);
        BitSet produced = new BitSet();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(connection, timeout)) {
            List<TopicPartition> partitions = ResultTail.partitionsOf(consumer, topic, connection, timeout);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            for (TopicPartition partition : partitions) {
                Long offset = from.get(partition.partition());
                if (offset != null) {
                    consumer.seek(partition, offset);
                }
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, timeout);
            long lastProgress = System.nanoTime();
            while (!partitions.stream().allMatch(p -> consumer.position(p) >= ends.get(p))) {
                boolean any = false;
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    any = true;
                    long index = indexOf(record.headers(), job);
                    if (index >= firstIndex) {
                        long bit = index - firstIndex;
                        if (bit > Integer.MAX_VALUE - 1) {
                            throw new CliException("request " + index + " of job " + jobId + " on " + topic
                                    + " lies too far past the output's last line (" + firstIndex + ") to resume");
                        }
                        produced.set((int) bit);
                    }
                }
                if (any) {
                    lastProgress = System.nanoTime();
                } else if (System.nanoTime() - lastProgress > timeout.toNanos()) {
                    throw new CliException("reading " + topic + " to find the requests job " + jobId
                            + " already produced made no progress for " + timeout.toSeconds() + " s");
                }
            }
        } catch (KafkaException e) {
            throw KafkaFailures.translate("reading " + topic, e, connection, timeout);
        }
        return produced;
    }

    /** The request's position in job {@code job}, or -1 when it belongs to no job or another. */
    private static long indexOf(Headers headers, byte[] job) {
        Header jobHeader = headers.lastHeader(JOB_HEADER);
        Header indexHeader = headers.lastHeader(INDEX_HEADER);
        if (jobHeader == null || indexHeader == null || !Arrays.equals(jobHeader.value(), job)) {
            return -1;
        }
        try {
            return Long.parseLong(new String(indexHeader.value(), StandardCharsets.UTF_8));
        } catch (NumberFormatException e) {
            // Not a header this CLI wrote (the index is always decimal): not one of the job's requests.
            return -1;
        }
    }

    private static KafkaConsumer<byte[], byte[]> consumer(KafkaConnection connection, Duration timeout) {
        Map<String, Object> config = Clients.common(connection, "modelpool-cli-resume");
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try {
            return new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        } catch (KafkaException e) {
            throw KafkaFailures.translate("starting the consumer", e, connection, timeout);
        }
    }
}
