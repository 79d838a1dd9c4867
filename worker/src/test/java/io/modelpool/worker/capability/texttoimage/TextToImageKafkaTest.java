package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Text-to-image end to end: requests through the devstack broker and registry to a worker serving the toy model. */
class TextToImageKafkaTest {

    @Test
    void imagesArriveOnTheResultTopicAsPngsWithExactlyTheReferencePixels() throws Exception {
        String prefix = "t2i" + UUID.randomUUID().toString().substring(0, 8);
        createTopics(prefix);
        List<ToyDiffusion.Case> cases = ToyDiffusion.expected();
        Map<String, TextToImageResult> results = new ConcurrentHashMap<>();
        Worker worker = Worker.start(WorkerConfig.of(settings(prefix)), IntakeListener.NONE);
        try (KafkaProducer<String, TextToImageRequest> producer = producer();
             KafkaConsumer<String, TextToImageResult> consumer = consumer(prefix)) {
            for (ToyDiffusion.Case c : cases) {
                TextToImageRequest request = c.request();
                request.setId(c.name());
                producer.send(new ProducerRecord<>(Topics.requests(prefix, Capability.TEXT_TO_IMAGE), c.name(),
                        request));
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(r -> results.put(r.key(), r.value()));
                return results.size() >= cases.size();
            });
        } finally {
            worker.beginShutdown();
            worker.awaitShutdown();
        }
        for (ToyDiffusion.Case c : cases) {
            TextToImageResult r = results.get(c.name());
            assertThat(r.getStatus()).as("%s: %s", c.name(), r.getError()).isEqualTo(ResultStatus.OK);
            assertThat(r.getPayload().getMediaType()).isEqualTo("image/png");
            assertThat(ToyDiffusion.pixels(r.getPayload().getImage())).as(c.name()).isDeepEqualTo(c.pixels());
        }
    }

    private static Map<String, String> settings(String prefix) {
        Map<String, String> m = new HashMap<>();
        m.put(WorkerConfig.BOOTSTRAP_SERVERS, SharedDevStack.get().bootstrapServers());
        m.put(WorkerConfig.SCHEMA_REGISTRY_URL, SharedDevStack.get().schemaRegistryUrl());
        m.put(WorkerConfig.TOPIC_PREFIX, prefix);
        m.put(WorkerConfig.GROUP_ID, prefix + "-workers");
        m.put(WorkerConfig.WORKER_ID, prefix + "-worker");
        m.put(WorkerConfig.MANIFEST, ToyDiffusion.MANIFEST);
        m.put(WorkerConfig.COMMIT_INTERVAL_MS, "100");
        m.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        return m;
    }

    private static void createTopics(String prefix) {
        SharedDevStack.get().createTopics(Map.of(Topics.requests(prefix, Capability.TEXT_TO_IMAGE), 1,
                Topics.results(prefix, Capability.TEXT_TO_IMAGE), 1, Topics.deadLetters(prefix), 1));
    }

    private static Map<String, Object> registry() {
        return Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl());
    }

    private static KafkaProducer<String, TextToImageRequest> producer() {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedDevStack.get().bootstrapServers());
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        return new KafkaProducer<>(p, new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(TextToImageRequest.class, registry(), false));
    }

    private static KafkaConsumer<String, TextToImageResult> consumer(String prefix) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, SharedDevStack.get().bootstrapServers());
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        KafkaConsumer<String, TextToImageResult> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                ConfluentAvroSerde.specificDeserializer(TextToImageResult.class, registry(), false));
        consumer.assign(List.of(new TopicPartition(Topics.results(prefix, Capability.TEXT_TO_IMAGE), 0)));
        return consumer;
    }
}
