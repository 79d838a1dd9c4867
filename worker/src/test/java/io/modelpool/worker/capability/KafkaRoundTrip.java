package io.modelpool.worker.capability;

import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Requests of one capability through the devstack broker and schema registry to a worker started in this JVM,
 * and their results back, keyed by request id.
 */
public final class KafkaRoundTrip {

    private KafkaRoundTrip() {}

    /**
     * Creates fresh topics, starts a worker on {@code manifest}, produces {@code requests} (request id to
     * request, in order, to one partition), waits up to {@code timeout} for one result per request and shuts
     * the worker down.
     */
    public static <Q extends SpecificRecord, R extends SpecificRecord> Map<String, R> run(
            Capability capability,
            String manifest,
            Class<Q> requestType,
            Class<R> resultType,
            Map<String, Q> requests,
            Duration timeout)
            throws InterruptedException {
        String prefix = "rt" + UUID.randomUUID().toString().substring(0, 8);
        String bootstrap = SharedDevStack.get().bootstrapServers();
        // DevStack.createTopics returns once every partition accepts writes (see TopicReadiness)
        SharedDevStack.get()
                .createTopics(Map.of(
                        Topics.requests(prefix, capability),
                        1,
                        Topics.results(prefix, capability),
                        1,
                        Topics.deadLetters(prefix),
                        1));
        Map<String, String> settings = new HashMap<>();
        settings.put(WorkerConfig.BOOTSTRAP_SERVERS, bootstrap);
        settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        settings.put(WorkerConfig.TOPIC_PREFIX, prefix);
        settings.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        settings.put(WorkerConfig.WORKER_ID, prefix + "-worker");
        settings.put(WorkerConfig.MANIFEST, manifest);
        settings.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        Map<String, Object> registry =
                Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl());
        Map<String, R> results = new LinkedHashMap<>();
        Worker worker = Worker.start(WorkerConfig.of(settings), IntakeListener.NONE);
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024);
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaProducer<String, Q> producer = new KafkaProducer<>(
                        p,
                        new StringSerializer(),
                        ConfluentAvroSerde.specificSerializer(requestType, registry, false));
                KafkaConsumer<String, R> consumer = new KafkaConsumer<>(
                        c,
                        new StringDeserializer(),
                        ConfluentAvroSerde.specificDeserializer(resultType, registry, false))) {
            consumer.assign(List.of(new TopicPartition(Topics.results(prefix, capability), 0)));
            for (Map.Entry<String, Q> e : requests.entrySet()) {
                producer.send(new ProducerRecord<>(Topics.requests(prefix, capability), 0, e.getKey(), e.getValue()));
            }
            producer.flush();
            await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> results.put(r.key(), r.value()));
                return results.size() >= requests.size();
            });
        } finally {
            worker.beginShutdown();
            worker.awaitShutdown();
        }
        return results;
    }
}
