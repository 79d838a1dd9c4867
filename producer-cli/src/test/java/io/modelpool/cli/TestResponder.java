package io.modelpool.cli;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingPayload;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.v1.Timings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Plays the worker's part in tests: reads text-embedding requests from the real broker and publishes
 * results through the real registry. A text containing "POISON" gets an INVALID_REQUEST error; every
 * other text gets {@link #vectorOf(String)}. It answers out of order and, like an at-least-once worker
 * after a crash, sometimes twice.
 */
final class TestResponder implements AutoCloseable {

    enum Mode {
        /** Answers each batch of requests shuffled, some twice (some of those a batch later), and each
         *  request also once for a foreign job before its own answer. */
        SHUFFLED_WITH_DUPLICATES,
        /** Holds requests until none arrives for a poll, then answers them all in reverse order: the
         *  client's in-flight window is filled to its limit before anything comes back. */
        HOLD_UNTIL_QUIET
    }

    private final KafkaConsumer<String, TextEmbeddingRequest> consumer;
    private final KafkaProducer<String, TextEmbeddingResult> producer;
    private final String resultTopic;
    private final Mode mode;
    private final Random random = new Random(42);
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final AtomicInteger received = new AtomicInteger();
    private final AtomicInteger answered = new AtomicInteger();
    private final AtomicInteger duplicatesSent = new AtomicInteger();
    private final AtomicInteger maxOutstanding = new AtomicInteger();
    private volatile boolean running = true;

    private TestResponder(Map<String, Object> clientConfig, String prefix, Mode mode) {
        this.mode = mode;
        this.resultTopic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        this.consumer = new KafkaConsumer<>(
                consumerConfig,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, consumerConfig, false));
        // Jobs go to the bulk request topic; read the interactive one too, as a worker does.
        List<TopicPartition> partitions = java.util.stream.Stream.of(
                        Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                        Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING))
                .flatMap(topic -> consumer.partitionsFor(topic).stream())
                .map(p -> new TopicPartition(p.topic(), p.partition()))
                .toList();
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        this.producer = new KafkaProducer<>(
                producerConfig,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextEmbeddingResult.class, producerConfig, false));
        this.thread = new Thread(this::loop, "test-responder-" + prefix);
    }

    static TestResponder start(Map<String, Object> clientConfig, String prefix, Mode mode) {
        TestResponder responder = new TestResponder(clientConfig, prefix, mode);
        responder.thread.start();
        return responder;
    }

    /** The vector the responder gives a text: its length, a hash fraction and its word count. */
    static List<Float> vectorOf(String text) {
        return List.of((float) text.length(), (text.hashCode() & 0xffff) / 65536f, (float) text.split("\\s+").length);
    }

    int received() {
        return received.get();
    }

    int duplicatesSent() {
        return duplicatesSent.get();
    }

    /** The most requests it ever held received but not yet answered. */
    int maxOutstanding() {
        return maxOutstanding.get();
    }

    private void loop() {
        List<TextEmbeddingRequest> held = new ArrayList<>();
        List<TextEmbeddingResult> deferredDuplicates = new ArrayList<>();
        try {
            while (running) {
                List<TextEmbeddingRequest> batch = new ArrayList<>();
                for (ConsumerRecord<String, TextEmbeddingRequest> record : consumer.poll(Duration.ofMillis(100))) {
                    batch.add(record.value());
                }
                received.addAndGet(batch.size());
                maxOutstanding.accumulateAndGet(received.get() - answered.get(), Math::max);
                switch (mode) {
                    case SHUFFLED_WITH_DUPLICATES -> {
                        deferredDuplicates.forEach(this::publish);
                        deferredDuplicates.clear();
                        Collections.shuffle(batch, random);
                        for (TextEmbeddingRequest request : batch) {
                            TextEmbeddingResult foreign = answer(request);
                            foreign.setJobId("someone-elses-job");
                            foreign.setPayload(null);
                            foreign.setStatus(ResultStatus.ERROR);
                            foreign.setError(new ResultError(ErrorCode.INTERNAL, "foreign job", false));
                            publish(foreign);
                            TextEmbeddingResult result = answer(request);
                            publish(result);
                            answered.incrementAndGet();
                            int dice = random.nextInt(10);
                            if (dice == 0) {
                                publish(result);
                                duplicatesSent.incrementAndGet();
                            } else if (dice == 1) {
                                deferredDuplicates.add(result);
                                duplicatesSent.incrementAndGet();
                            }
                        }
                    }
                    case HOLD_UNTIL_QUIET -> {
                        held.addAll(batch);
                        if (batch.isEmpty() && !held.isEmpty()) {
                            Collections.reverse(held);
                            for (TextEmbeddingRequest request : held) {
                                publish(answer(request));
                                answered.incrementAndGet();
                            }
                            held.clear();
                        }
                    }
                }
                producer.flush();
            }
        } catch (RuntimeException | Error e) {
            failure.set(e);
        }
    }

    private void publish(TextEmbeddingResult result) {
        producer.send(new ProducerRecord<>(resultTopic, result.getRequestId(), result));
    }

    private static TextEmbeddingResult answer(TextEmbeddingRequest request) {
        TextEmbeddingResult.Builder result = TextEmbeddingResult.newBuilder()
                .setRequestId(request.getId())
                .setJobId(request.getJobId())
                .setModel(request.getModel())
                .setTimings(new Timings(0L, 0L, 0L))
                .setWorkerId("test-responder");
        if (request.getTexts().stream().anyMatch(t -> t.contains("POISON"))) {
            return result.setStatus(ResultStatus.ERROR)
                    .setError(new ResultError(ErrorCode.INVALID_REQUEST, "the text contains POISON", false))
                    .setPayload(null)
                    .build();
        }
        List<Embedding> embeddings = request.getTexts().stream()
                .map(t -> new Embedding(vectorOf(t), t.split("\\s+").length + 2, false))
                .toList();
        return result.setStatus(ResultStatus.OK)
                .setError(null)
                .setPayload(new TextEmbeddingPayload(3, embeddings))
                .build();
    }

    /** Stops answering and closes the clients; rethrows anything that went wrong on the responder's thread. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while stopping the test responder", e);
        }
        consumer.close();
        producer.close();
        Throwable failed = failure.get();
        if (failed != null) {
            throw new AssertionError("the test responder failed", failed);
        }
    }
}
