package io.modelpool.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The shared devstack as other modules' tests use it: a broker that does what a real cluster does. */
class DevStackTest {

    private final DevStack stack = SharedDevStack.get();

    @Test
    void theSharedStackIsOneStackPerJvm() {
        assertThat(SharedDevStack.get()).isSameAs(stack);
        assertThat(stack.bootstrapServers()).startsWith("127.0.0.1:");
        assertThat(stack.schemaRegistryUrl()).startsWith("http://127.0.0.1:");
        assertThat(stack.clientConfig())
                .containsEntry("bootstrap.servers", stack.bootstrapServers())
                .containsEntry("schema.registry.url", stack.schemaRegistryUrl());
    }

    @Test
    void recordsProducedToATopicAreConsumedByAGroupInOrderPerPartition() {
        String topic = "devstack-produce-consume";
        stack.createTopics(Map.of(topic, 2));
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            for (int i = 0; i < 20; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 4), "value-" + i));
            }
            producer.flush();
        }

        List<ConsumerRecord<String, String>> received = consumeAll(topic, "devstack-group", "read_uncommitted", 20);

        assertThat(received).hasSize(20);
        assertThat(received).extracting(ConsumerRecord::partition).containsOnly(0, 1);
        Map<String, List<String>> valuesByKey = new HashMap<>();
        received.forEach(r ->
                valuesByKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
        assertThat(valuesByKey.get("key-1")).containsExactly("value-1", "value-5", "value-9", "value-13", "value-17");
    }

    @Test
    void aTransactionalProducerCommitsAndReadCommittedConsumersSeeOnlyCommittedRecords() {
        String topic = "devstack-transactions";
        stack.createTopics(Map.of(topic, 1));
        try (KafkaProducer<String, String> producer = producer(Map.of(
                ProducerConfig.TRANSACTIONAL_ID_CONFIG,
                "devstack-test-tx",
                ProducerConfig.MAX_BLOCK_MS_CONFIG,
                30_000))) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "aborted"));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, "k", "committed-1"));
            producer.send(new ProducerRecord<>(topic, "k", "committed-2"));
            producer.commitTransaction();
        }

        List<ConsumerRecord<String, String>> received = consumeAll(topic, "devstack-tx-group", "read_committed", 2);

        assertThat(received).extracting(ConsumerRecord::value).containsExactly("committed-1", "committed-2");
    }

    @Test
    void consumedOffsetsCommitInsideATransaction() {
        String in = "devstack-eos-in";
        String out = "devstack-eos-out";
        stack.createTopics(Map.of(in, 1, out, 1));
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>(in, "k", "request"));
        }
        String group = "devstack-eos-group";
        try (KafkaConsumer<String, String> consumer = consumer(group, "read_committed");
                KafkaProducer<String, String> producer =
                        producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "devstack-eos-tx"))) {
            consumer.subscribe(List.of(in));
            List<ConsumerRecord<String, String>> polled = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(polled::add);
                return !polled.isEmpty();
            });
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(
                    new ProducerRecord<>(out, "k", "result of " + polled.get(0).value()));
            producer.sendOffsetsToTransaction(
                    Map.of(
                            new TopicPartition(in, 0),
                            new OffsetAndMetadata(polled.get(0).offset() + 1)),
                    consumer.groupMetadata());
            producer.commitTransaction();
        }

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(admin.listConsumerGroupOffsets(group)
                                    .partitionsToOffsetAndMetadata()
                                    .get())
                            .containsEntry(new TopicPartition(in, 0), new OffsetAndMetadata(1)));
        }
        assertThat(consumeAll(out, "devstack-eos-reader", "read_committed", 1))
                .extracting(ConsumerRecord::value)
                .containsExactly("result of request");
    }

    @Test
    void createTopicsIsIdempotentAndCreatesWithTheAskedPartitionsAndConfigs() throws Exception {
        stack.createTopics(Map.of("devstack-created", 4));
        stack.createTopics(Map.of("devstack-created", 4));
        stack.createTopics(List.of(new NewTopic("devstack-compacted", 1, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))));

        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            TopicDescription created = admin.describeTopics(List.of("devstack-created"))
                    .allTopicNames()
                    .get()
                    .get("devstack-created");
            assertThat(created.partitions())
                    .hasSize(4)
                    .allSatisfy(p -> assertThat(p.leader()).isNotNull());
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "devstack-compacted");
            assertThat(admin.describeConfigs(List.of(resource))
                            .all()
                            .get()
                            .get(resource)
                            .get(TopicConfig.CLEANUP_POLICY_CONFIG)
                            .value())
                    .isEqualTo("compact");
        }
    }

    @Test
    void createTopicsRefusesToPretendAnExistingTopicHasOtherPartitions() {
        stack.createTopics(Map.of("devstack-two-partitions", 2));

        assertThatThrownBy(() -> stack.createTopics(Map.of("devstack-two-partitions", 5)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("devstack-two-partitions")
                .hasMessageContaining("2 partitions");
    }

    @Test
    void topicsCreatedOnFirstUseGetTheDefaultPartitionCount() throws Exception {
        try (KafkaProducer<String, String> producer = producer(Map.of())) {
            producer.send(new ProducerRecord<>("devstack-auto-created", "k", "v"))
                    .get();
        }
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()))) {
            assertThat(admin.describeTopics(List.of("devstack-auto-created"))
                            .allTopicNames()
                            .get()
                            .get("devstack-auto-created")
                            .partitions())
                    .hasSize(DevStackOptions.DEFAULT_PARTITIONS);
        }
    }

    @Test
    void theStacksRegistryAnswersOnItsUrl() throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(stack.schemaRegistryUrl() + "/config"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("{\"compatibilityLevel\":\"BACKWARD\"}");
    }

    private KafkaProducer<String, String> producer(Map<String, Object> extra) {
        Map<String, Object> config = new HashMap<>(extra);
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers());
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private KafkaConsumer<String, String> consumer(String group, String isolation) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        group,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                        isolation,
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false),
                new StringDeserializer(),
                new StringDeserializer());
    }

    private List<ConsumerRecord<String, String>> consumeAll(
            String topic, String group, String isolation, int expected) {
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(group, isolation)) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                consumer.poll(Duration.ofMillis(100)).forEach(received::add);
                return received.size() >= expected;
            });
            // One more poll: anything beyond the expected records would show up here.
            consumer.poll(Duration.ofMillis(200)).forEach(received::add);
            consumer.commitSync();
        }
        return received;
    }
}
