package io.modelpool.worker.capability.texttotext;

import static io.modelpool.worker.capability.texttotext.ToyLm.greedy;
import static io.modelpool.worker.capability.texttotext.ToyLm.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.lifecycle.ShutdownCoordinator;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Text-to-text end to end: requests through the devstack broker and registry to a worker serving the toy LM. */
class TextToTextKafkaTest {

    private static final long DRAIN_MS = 4000;

    @Test
    void generationsArriveOnTheResultTopicWithExactTextsAndALongOneCutByTheShutdownIsAbandonedUncommitted()
            throws Exception {
        String prefix = "t2t" + UUID.randomUUID().toString().substring(0, 8);
        createTopics(prefix);
        Worker worker = Worker.start(WorkerConfig.of(settings(prefix)), IntakeListener.NONE);
        Map<String, TextToTextResult> results = new ConcurrentHashMap<>();
        ShutdownCoordinator.Outcome outcome;
        try (KafkaProducer<String, TextToTextRequest> producer = producer();
                KafkaConsumer<String, TextToTextResult> consumer = consumer(prefix)) {
            send(producer, prefix, withId("eos", request("dog", greedy(10))));
            send(producer, prefix, withId("max", request("the", greedy(6))));
            send(producer, prefix, withId("stop", request("the", greedy(40).setStopStrings(List.of("on")))));
            send(
                    producer,
                    prefix,
                    withId(
                            "seeded-a",
                            request("the", greedy(12).setTemperature(1f).setSeed(9L))));
            send(
                    producer,
                    prefix,
                    withId(
                            "seeded-b",
                            request("the", greedy(12).setTemperature(1f).setSeed(9L))));
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(100)).forEach(r -> results.put(r.key(), r.value()));
                        return results.size() >= 5;
                    });

            assertThat(results.values())
                    .allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(ResultStatus.OK));
            assertThat(payload(results, "eos").getText()).isEqualTo("ran away far mat");
            assertThat(payload(results, "eos").getFinishReason()).isEqualTo(FinishReason.EOS);
            assertThat(payload(results, "max").getText()).isEqualTo("cat sat on the cat sat");
            assertThat(payload(results, "max").getFinishReason()).isEqualTo(FinishReason.MAX_TOKENS);
            assertThat(payload(results, "stop").getText()).isEqualTo("cat sat ");
            assertThat(payload(results, "stop").getFinishReason()).isEqualTo(FinishReason.STOP_STRING);
            assertThat(payload(results, "seeded-a").getText())
                    .isEqualTo(payload(results, "seeded-b").getText());

            send(producer, prefix, withId("long", request("the", greedy(1_000_000))));
            producer.flush();
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> worker.capabilities().pending() > 0);
            worker.beginShutdown();
            outcome = worker.awaitShutdown();
            // The worker's producer is closed: everything it published is on the topic up to its end offset.
            TopicPartition resultPartition = consumer.assignment().iterator().next();
            long end = consumer.endOffsets(consumer.assignment()).get(resultPartition);
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        consumer.poll(Duration.ofMillis(100)).forEach(r -> results.put(r.key(), r.value()));
                        return consumer.position(resultPartition) >= end;
                    });
        }
        assertThat(outcome.abandoned())
                .as("the long generation, cut at its grace inside the drain")
                .isEqualTo(1);
        assertThat(outcome.drained()).isZero();
        assertThat(results)
                .as("nothing is published for it, not even a truncated text")
                .doesNotContainKey("long");
        assertThat(committedOffset(prefix))
                .as("the commit stops at the long request (offset 5), so the next owner " + "runs it whole")
                .isEqualTo(5L);
    }

    private static long committedOffset(String prefix) throws Exception {
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", SharedDevStack.get().bootstrapServers()))) {
            return admin.listConsumerGroupOffsets(prefix + "-workers")
                    .partitionsToOffsetAndMetadata()
                    .get()
                    .get(new TopicPartition(Topics.requests(prefix, Capability.TEXT_TO_TEXT), 0))
                    .offset();
        }
    }

    private static TextToTextPayload payload(Map<String, TextToTextResult> results, String id) {
        assertThat(results).containsKey(id);
        return results.get(id).getPayload();
    }

    private static TextToTextRequest withId(String id, TextToTextRequest request) {
        request.setId(id);
        return request;
    }

    private static Map<String, String> settings(String prefix) {
        Map<String, String> m = new HashMap<>();
        m.put(WorkerConfig.BOOTSTRAP_SERVERS, SharedDevStack.get().bootstrapServers());
        m.put(WorkerConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        m.put(WorkerConfig.TOPIC_PREFIX, prefix);
        m.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        m.put(WorkerConfig.WORKER_ID, prefix + "-worker");
        m.put(WorkerConfig.MANIFEST, ToyLm.MANIFEST);
        m.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        m.put(WorkerConfig.DRAIN_TIMEOUT_MS, Long.toString(DRAIN_MS));
        m.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        return m;
    }

    private static void createTopics(String prefix) {
        SharedDevStack.get()
                .createTopics(Map.of(
                        Topics.requests(prefix, Capability.TEXT_TO_TEXT),
                        1,
                        Topics.results(prefix, Capability.TEXT_TO_TEXT),
                        1,
                        Topics.deadLetters(prefix),
                        1));
    }

    private static Map<String, Object> registry() {
        return Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl());
    }

    private static KafkaProducer<String, TextToTextRequest> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedDevStack.get().bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(
                p,
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextToTextRequest.class, registry(), false));
    }

    private static void send(
            KafkaProducer<String, TextToTextRequest> producer, String prefix, TextToTextRequest request) {
        producer.send(new ProducerRecord<>(Topics.requests(prefix, Capability.TEXT_TO_TEXT), request.getId(), request));
    }

    private static KafkaConsumer<String, TextToTextResult> consumer(String prefix) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedDevStack.get().bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, TextToTextResult> consumer = new KafkaConsumer<>(
                c,
                new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextToTextResult.class, registry(), false));
        consumer.assign(List.of(new TopicPartition(Topics.results(prefix, Capability.TEXT_TO_TEXT), 0)));
        return consumer;
    }
}
