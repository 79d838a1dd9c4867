package io.modelpool.bench;

import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads a result topic (text-embedding unless another result class is given) from its current end on a daemon
 * thread and records, per request id, the {@link System#nanoTime()} at which its result was read. A result that
 * is not OK stops the reader: a benchmark of failing requests measures nothing.
 */
final class ResultArrivals implements AutoCloseable {

    final Map<String, Long> arrivals = new ConcurrentHashMap<>();
    private final AtomicBoolean reading = new AtomicBoolean(true);
    private final Thread thread;

    ResultArrivals(String bootstrap, Map<String, Object> registry, String resultTopic) {
        this(bootstrap, registry, resultTopic, false);
    }

    /**
     * With {@code readCommitted}, results are read as exactly-once readers read them
     * ({@code isolation.level=read_committed}): a result arrives when its transaction commits.
     */
    ResultArrivals(String bootstrap, Map<String, Object> registry, String resultTopic, boolean readCommitted) {
        this(bootstrap, registry, resultTopic, readCommitted, TextEmbeddingResult.class);
    }

    /** Reads results of {@code resultType}, any Avro result record of the contract (it has a status field). */
    ResultArrivals(
            String bootstrap,
            Map<String, Object> registry,
            String resultTopic,
            boolean readCommitted,
            Class<? extends SpecificRecord> resultType) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (readCommitted) {
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        }
        KafkaConsumer<String, ? extends SpecificRecord> consumer = new KafkaConsumer<>(
                c, new StringDeserializer(), ConfluentAvroSerde.specificDeserializer(resultType, registry, false));
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(resultTopic).forEach(p -> parts.add(new TopicPartition(resultTopic, p.partition())));
        consumer.assign(parts);
        consumer.seekToEnd(parts);
        parts.forEach(consumer::position);
        thread = new Thread(
                () -> {
                    try (consumer) {
                        while (reading.get()) {
                            consumer.poll(Duration.ofMillis(100)).forEach(r -> {
                                SpecificRecord v = r.value();
                                if (v.get(v.getSchema().getField("status").pos()) != ResultStatus.OK) {
                                    throw new IllegalStateException("request " + r.key() + " failed: "
                                            + v.get(v.getSchema()
                                                    .getField("error")
                                                    .pos()));
                                }
                                arrivals.put(r.key(), System.nanoTime());
                            });
                        }
                    }
                },
                "bench-result-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Waits until every id has a result and returns the latest read time among them.
     *
     * @throws IllegalStateException naming the first id still without a result after {@code limit}
     */
    long awaitAll(List<String> ids, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        long last = 0;
        for (String id : ids) {
            Long at;
            while ((at = arrivals.get(id)) == null) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("no result for " + id + " within " + limit);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            last = Math.max(last, at);
        }
        return last;
    }

    @Override
    public void close() throws InterruptedException {
        reading.set(false);
        thread.join(5000);
    }
}
