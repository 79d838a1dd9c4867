package io.modelpool.worker.it;

import io.modelpool.kafka.TopicReadiness;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Test fixtures for the Kafka integration tests: the shared devstack, a fresh topic namespace per test, clients
 * that speak the contract, and corpora.
 */
final class Fixtures {

    private Fixtures() {}

    /** The broker and registry under test: the devstack by default, a Kafka container when selected. */
    static TestStack stack() {
        return TestStack.current();
    }

    /** A topic prefix no other test uses. */
    static String freshPrefix() {
        return "t" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** Creates the text-embedding topics (requests, bulk requests, results) and dead letters for a prefix. */
    static void createTopics(String prefix, int partitions) {
        List<NewTopic> topics = List.of(
                new NewTopic(Topics.requests(prefix, Capability.TEXT_EMBEDDING), partitions, (short) 1),
                new NewTopic(Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING), partitions, (short) 1),
                new NewTopic(Topics.results(prefix, Capability.TEXT_EMBEDDING), partitions, (short) 1),
                new NewTopic(Topics.deadLetters(prefix), 1, (short) 1));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack().bootstrapServers()))) {
            admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
            TopicReadiness.awaitWritable(
                    admin, topics.stream().map(NewTopic::name).toList(), Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics for " + prefix, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics for " + prefix, e);
        }
    }

    /** Worker settings on the shared devstack for a prefix; overrides win. */
    static Map<String, String> workerSettings(String prefix, Map<String, String> overrides) {
        Map<String, String> m = new HashMap<>();
        m.put(WorkerConfig.BOOTSTRAP_SERVERS, stack().bootstrapServers());
        m.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack().schemaRegistryUrl());
        m.put(WorkerConfig.TOPIC_PREFIX, prefix);
        m.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        m.put(
                WorkerConfig.WORKER_ID,
                prefix + "-worker-" + UUID.randomUUID().toString().substring(0, 4));
        m.put(WorkerConfig.MANIFEST, "classpath:modelpool/models.yaml");
        m.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        // These tests create only the text-embedding topics; the job tracker has its own tests.
        m.put("jobs.tracker.enabled", "false");
        m.putAll(overrides);
        return m;
    }

    static Map<String, Object> registryConfig() {
        return Map.of("schema.registry.url", stack().schemaRegistryUrl());
    }

    static KafkaProducer<String, TextEmbeddingRequest> requestProducer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack().bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(
                p,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registryConfig(), false));
    }

    static KafkaProducer<byte[], byte[]> rawProducer() {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack().bootstrapServers()),
                new ByteArraySerializer(),
                new ByteArraySerializer());
    }

    static KafkaConsumer<String, TextEmbeddingResult> resultConsumer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack().bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(
                c,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingResult.class, registryConfig(), false));
    }

    static KafkaConsumer<byte[], byte[]> rawConsumer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack().bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /** Reads every partition of {@code topic} from the beginning, handing each record to {@code sink}. */
    static <K, V> void drainTopic(KafkaConsumer<K, V> consumer, String topic, Consumer<ConsumerRecord<K, V>> sink) {
        List<TopicPartition> parts = new ArrayList<>();
        consumer.partitionsFor(topic, Duration.ofSeconds(10))
                .forEach(p -> parts.add(new TopicPartition(topic, p.partition())));
        if (consumer.assignment().isEmpty()) {
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
        }
        consumer.poll(Duration.ofMillis(200)).forEach(sink);
    }

    static TextEmbeddingRequest request(String id, String model, List<String> texts) {
        return TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setJobId("it")
                .setModel(model)
                .setTexts(texts)
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    static void send(
            KafkaProducer<String, TextEmbeddingRequest> producer,
            String topic,
            Integer partition,
            TextEmbeddingRequest request) {
        producer.send(new ProducerRecord<>(topic, partition, request.getId(), request));
    }

    /** Committed positions of a group, per partition. */
    static Map<TopicPartition, OffsetAndMetadata> committed(Admin admin, String group) throws Exception {
        return admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get();
    }

    /** Deterministic sentences of 5-60 words. */
    static List<String> sentences(int n, long seed) {
        String[] words = ("the a model worker kafka partition offset commit batch token vector embedding request "
                        + "result queue drain signal broker registry schema avro latency throughput memory cluster fleet "
                        + "river mountain coffee morning garden letter window music teacher city winter bridge")
                .split(" ");
        java.util.Random r = new java.util.Random(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = 5 + r.nextInt(56);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                if (w > 0) {
                    sb.append(' ');
                }
                sb.append(words[r.nextInt(words.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }
}
