package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.kafka.TopicReadiness;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * One test's text-embedding job on the shared devstack: its own topic prefix and consumer group, the requests it
 * produced and where each landed (partition and offset), and the results read back from the result topic.
 *
 * <p>It checks the guarantees the process tests state: every request answered, and no committed offset of the
 * group pointing past a request that has no result.
 *
 * <p>Not thread-safe: used by the test thread only. Close it to close its clients.
 */
public final class Job implements AutoCloseable {

    public static final String MODEL = "all-minilm-l6-v2-q";

    /** A produced request's place in the request topic. */
    public record Landing(String requestId, TopicPartition partition, long offset) {}

    /** A result as read back: who answered, and how. */
    public record Answer(String requestId, ResultStatus status, String errorCode, String workerId, int embeddings) {}

    private final DevStack stack;
    private final String prefix;
    private final String requestTopic;
    private final String resultTopic;
    private final int partitions;
    private final KafkaProducer<String, TextEmbeddingRequest> producer;
    private final KafkaConsumer<String, TextEmbeddingResult> results;
    private final Admin admin;
    private final List<Future<RecordMetadata>> pending = new ArrayList<>();
    private final List<String> pendingIds = new ArrayList<>();
    private final Map<String, Landing> landings = new LinkedHashMap<>();
    private final Map<TopicPartition, TreeMap<Long, String>> byOffset = new HashMap<>();
    private final Map<String, List<Answer>> answers = new HashMap<>();
    private final Random random = new Random(42);

    private Job(DevStack stack, String prefix, int partitions, boolean readCommitted) {
        this.stack = stack;
        this.prefix = prefix;
        this.partitions = partitions;
        this.requestTopic = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        this.resultTopic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        this.admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()));
        Map<String, Object> registry = Map.of("schema.registry.url", stack.schemaRegistryUrl());
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(
                p,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, registry, false));
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        if (readCommitted) {
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        }
        this.results = new KafkaConsumer<>(
                c,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingResult.class, registry, false));
    }

    /** A fresh prefix and group with text-embedding topics of {@code partitions} partitions. */
    public static Job create(int partitions) {
        return create(stack(), partitions, false);
    }

    /**
     * A fresh prefix and group with text-embedding topics of {@code partitions} partitions on {@code stack} (a test
     * that stops the broker or the registry brings its own); with {@code readCommitted} the results are read with
     * {@code isolation.level=read_committed}, as exactly-once readers do.
     */
    public static Job create(DevStack stack, int partitions, boolean readCommitted) {
        String prefix = "p" + UUID.randomUUID().toString().substring(0, 8);
        try (Admin a = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            a.createTopics(List.of(
                            new NewTopic(Topics.requests(prefix, Capability.TEXT_EMBEDDING), partitions, (short) 1),
                            new NewTopic(Topics.results(prefix, Capability.TEXT_EMBEDDING), partitions, (short) 1),
                            new NewTopic(Topics.deadLetters(prefix), 1, (short) 1)))
                    .all()
                    .get(30, TimeUnit.SECONDS);
            TopicReadiness.awaitWritable(
                    a,
                    List.of(
                            Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                            Topics.results(prefix, Capability.TEXT_EMBEDDING),
                            Topics.deadLetters(prefix)),
                    Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create topics for " + prefix, e);
        }
        Job job = new Job(stack, prefix, partitions, readCommitted);
        List<TopicPartition> parts = new ArrayList<>();
        for (int i = 0; i < partitions; i++) {
            parts.add(new TopicPartition(job.resultTopic, i));
        }
        job.results.assign(parts);
        job.results.seekToBeginning(parts);
        return job;
    }

    public static DevStack stack() {
        return SharedDevStack.get();
    }

    /** The broker and registry this job runs on. */
    public DevStack devStack() {
        return stack;
    }

    public String requestTopic() {
        return requestTopic;
    }

    public String resultTopic() {
        return resultTopic;
    }

    public String deadLetterTopic() {
        return Topics.deadLetters(prefix);
    }

    public String prefix() {
        return prefix;
    }

    public String group() {
        return prefix + "-workers";
    }

    /**
     * Settings of a worker of this job: the devstack, this job's prefix and group, a worker id, the given manifest,
     * frequent commits; {@code overrides} win.
     */
    public Map<String, String> workerSettings(String workerId, String manifest, Map<String, String> overrides) {
        Map<String, String> m = new HashMap<>();
        m.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
        m.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
        m.put(WorkerConfig.TOPIC_PREFIX, prefix);
        m.put(WorkerConfig.GROUP_ID, group());
        m.put(WorkerConfig.WORKER_ID, workerId);
        m.put(WorkerConfig.MANIFEST, manifest);
        m.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        m.putAll(overrides);
        return m;
    }

    /** Short sentences of 5 to 30 words, one per text, from this job's seeded generator. */
    public List<String> shortTexts(int n) {
        return texts(n, 5, 30);
    }

    /** Long texts of 300 to 400 words: each is cut at the model's 256 tokens, the most one run can cost. */
    public List<String> longTexts(int n) {
        return texts(n, 300, 400);
    }

    private List<String> texts(int n, int minWords, int maxWords) {
        String[] words = ("the a model worker kafka partition offset commit batch token vector embedding request "
                        + "result queue drain signal broker registry schema avro latency throughput memory cluster fleet "
                        + "river mountain coffee morning garden letter window music teacher city winter bridge")
                .split(" ");
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = minWords + random.nextInt(maxWords - minWords + 1);
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                sb.append(w == 0 ? "" : " ").append(words[random.nextInt(words.length)]);
            }
            out.add(sb.append('.').toString());
        }
        return out;
    }

    /** Sends one request (asynchronously; {@link #flush} waits for it and records where it landed). */
    public void send(String id, List<String> texts) {
        send(id, texts, null);
    }

    /** Sends one request to a given partition ({@code null}: by key). */
    public void send(String id, List<String> texts, Integer partition) {
        TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setJobId(prefix)
                .setModel(MODEL)
                .setTexts(texts)
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
        pending.add(producer.send(new ProducerRecord<>(requestTopic, partition, id, r)));
        pendingIds.add(id);
    }

    /** Waits until every request sent so far is acknowledged, and records its partition and offset. */
    public void flush() {
        producer.flush();
        for (int i = 0; i < pending.size(); i++) {
            RecordMetadata md;
            try {
                md = pending.get(i).get(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while producing", e);
            } catch (ExecutionException | TimeoutException e) {
                throw new IllegalStateException("producing request " + pendingIds.get(i) + " failed", e);
            }
            TopicPartition tp = new TopicPartition(md.topic(), md.partition());
            landings.put(pendingIds.get(i), new Landing(pendingIds.get(i), tp, md.offset()));
            byOffset.computeIfAbsent(tp, k -> new TreeMap<>()).put(md.offset(), pendingIds.get(i));
        }
        pending.clear();
        pendingIds.clear();
    }

    /** Every request produced and flushed, by id, in sending order. */
    public Map<String, Landing> landings() {
        return landings;
    }

    /** Reads the result topic up to its current end and returns every answer so far, by request id. */
    public Map<String, List<Answer>> answers() {
        Map<TopicPartition, Long> end = results.endOffsets(results.assignment(), Duration.ofSeconds(10));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!caughtUp(end)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("result topic " + resultTopic + " not read to " + end + " in 30 s");
            }
            for (ConsumerRecord<String, TextEmbeddingResult> r : results.poll(Duration.ofMillis(100))) {
                TextEmbeddingResult v = r.value();
                answers.computeIfAbsent(v.getRequestId(), k -> new ArrayList<>())
                        .add(new Answer(
                                v.getRequestId(),
                                v.getStatus(),
                                v.getError() == null
                                        ? null
                                        : v.getError().getCode().name(),
                                v.getWorkerId(),
                                v.getPayload() == null
                                        ? 0
                                        : v.getPayload().getEmbeddings().size()));
            }
        }
        return answers;
    }

    private boolean caughtUp(Map<TopicPartition, Long> end) {
        for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
            if (results.position(e.getKey(), Duration.ofSeconds(10)) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** Requests (of those flushed) with at least one result. */
    public int answeredCount() {
        Map<String, List<Answer>> a = answers();
        return (int) landings.keySet().stream().filter(a::containsKey).count();
    }

    /** Whether every flushed request has at least one result. */
    public boolean allAnswered() {
        return answeredCount() == landings.size();
    }

    /** The group's committed positions, per partition of the request topic. */
    public Map<TopicPartition, Long> committed() {
        try {
            Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets(group())
                    .partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            Map<TopicPartition, Long> out = new TreeMap<>(java.util.Comparator.comparingInt(TopicPartition::partition));
            c.forEach((tp, om) -> {
                if (om != null && tp.topic().equals(requestTopic)) {
                    out.put(tp, om.offset());
                }
            });
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading committed offsets", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read committed offsets of " + group(), e);
        }
    }

    /**
     * Asserts the at-least-once invariant on what is in Kafka now: per partition, every request below the group's
     * committed offset has a result on the result topic.
     */
    public void assertNoCommittedOffsetPassesAnUnansweredRequest() {
        Map<TopicPartition, Long> committed = committed();
        Map<String, List<Answer>> a = answers();
        for (Map.Entry<TopicPartition, Long> e : committed.entrySet()) {
            TreeMap<Long, String> sent = byOffset.getOrDefault(e.getKey(), new TreeMap<>());
            List<String> unanswered = sent.headMap(e.getValue()).values().stream()
                    .filter(id -> !a.containsKey(id))
                    .toList();
            assertThat(unanswered)
                    .as("requests below the committed offset %d of %s without a result", e.getValue(), e.getKey())
                    .isEmpty();
        }
    }

    /** The requests that sit at or after the committed position of their partition (work a restart redoes). */
    public List<String> atOrAfterCommitted(Map<TopicPartition, Long> committed) {
        List<String> out = new ArrayList<>();
        landings.values().forEach(l -> {
            if (l.offset() >= committed.getOrDefault(l.partition(), 0L)) {
                out.add(l.requestId());
            }
        });
        return out;
    }

    public int partitions() {
        return partitions;
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        results.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        admin.close(Duration.ofSeconds(5));
    }
}
