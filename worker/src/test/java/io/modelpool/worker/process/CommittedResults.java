package io.modelpool.worker.process;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.TextEmbeddingResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A job's text-embedding results as an exactly-once reader sees them: {@code isolation.level=read_committed}, so
 * results of aborted transactions are skipped and results of an open transaction wait until it commits. Counts
 * every result per request id, so duplicates show.
 *
 * <p>Not thread-safe: used by the test thread only.
 */
final class CommittedResults implements AutoCloseable {

    private final KafkaConsumer<String, TextEmbeddingResult> consumer;
    private final Map<String, Integer> counts = new HashMap<>();
    private long read;

    CommittedResults(Job job) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, Job.stack().bootstrapServers());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        consumer = new KafkaConsumer<>(
                c,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(
                        TextEmbeddingResult.class,
                        Map.of("schema.registry.url", Job.stack().schemaRegistryUrl()),
                        false));
        String topic = Topics.results(job.prefix(), Capability.TEXT_EMBEDDING);
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < job.partitions(); i++) {
            parts.add(new TopicPartition(topic, i));
        }
        consumer.assign(parts);
        consumer.seekToBeginning(parts);
    }

    /**
     * Reads up to the last stable offset (the end a read_committed reader may reach now) and returns the number of
     * results per request id seen so far.
     */
    Map<String, Integer> counts() {
        Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment(), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!caughtUp(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("results not read to " + end + " in 60 s");
            }
            for (ConsumerRecord<String, TextEmbeddingResult> r : consumer.poll(Duration.ofMillis(100))) {
                counts.merge(r.value().getRequestId(), 1, Integer::sum);
                read++;
            }
        }
        return counts;
    }

    /** Requests of {@code ids} with at least one committed result. */
    int answered(Iterable<String> ids) {
        Map<String, Integer> c = counts();
        int n = 0;
        for (String id : ids) {
            if (c.containsKey(id)) {
                n++;
            }
        }
        return n;
    }

    /** Committed results read so far, duplicates included. */
    long total() {
        counts();
        return read;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (consumer.position(e.getKey(), Duration.ofSeconds(10)) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
}
