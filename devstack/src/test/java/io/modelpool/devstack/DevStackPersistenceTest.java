package io.modelpool.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.devstack.registry.RegistrySettings;
import io.modelpool.devstack.registry.SchemaRegistryServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stack with a data directory keeps its topics, records, offsets and schema ids across restarts; a stopped
 * broker comes back on its port with its data, and the registry reports the outage meanwhile.
 */
class DevStackPersistenceTest {

    private static final String SCHEMA =
            "{\"type\":\"record\",\"name\":\"Kept\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path dataDir;

    @Test
    void aStackStartedAgainOnItsDataDirectoryFindsRecordsCommittedOffsetsAndSchemaIdsOnTheSamePorts() throws Exception {
        DevStackOptions options = new DevStackOptions(dataDir, freePort(), freePort(), 2);
        String topic = "kept";
        int id;
        try (DevStack stack = DevStack.start(options)) {
            stack.createTopics(Map.of(topic, 1));
            try (KafkaProducer<String, String> producer = producer(stack)) {
                for (int i = 0; i < 5; i++) {
                    producer.send(new ProducerRecord<>(topic, "k", "record-" + i));
                }
            }
            try (KafkaConsumer<String, String> consumer = consumer(stack, "kept-group", 3)) {
                assertThat(poll(consumer, topic, 3))
                        .extracting(ConsumerRecord::value)
                        .containsExactly("record-0", "record-1", "record-2");
                consumer.commitSync();
            }
            id = register(stack.schemaRegistryUrl(), SCHEMA);
        }

        try (DevStack stack = DevStack.start(options)) {
            assertThat(stack.bootstrapServers()).isEqualTo("127.0.0.1:" + options.kafkaPort());
            assertThat(stack.schemaRegistryUrl()).isEqualTo("http://127.0.0.1:" + options.registryPort());
            try (KafkaConsumer<String, String> consumer = consumer(stack, "kept-group", 10)) {
                assertThat(poll(consumer, topic, 2))
                        .as("the group resumes after its committed offset")
                        .extracting(ConsumerRecord::value)
                        .containsExactly("record-3", "record-4");
            }
            assertThat(register(stack.schemaRegistryUrl(), SCHEMA)).isEqualTo(id);
            assertThat(get(stack.schemaRegistryUrl(), "/schemas/ids/" + id)).contains("Kept");
        }
    }

    @Test
    void whileTheBrokerIsDownTheRegistryAnswers50001AndAfterItStartsAgainOnItsPortEverythingCarriesOn()
            throws Exception {
        DevStack stack = DevStack.start(DevStackOptions.ephemeral());
        try (SchemaRegistryServer registry =
                        SchemaRegistryServer.start(RegistrySettings.defaults(stack.bootstrapServers(), 0)
                                .withStoreTimeout(Duration.ofSeconds(2)));
                KafkaProducer<String, String> producer = producer(stack)) {
            String before = stack.bootstrapServers();
            producer.send(new ProducerRecord<>("restarted", "k", "before")).get();
            int id = register(registry.url(), SCHEMA);

            stack.broker().stop();
            stack.broker().stop();
            assertThat(stack.broker().isRunning()).isFalse();
            // An unknown id needs the store, which cannot be read; a known one is answered from memory, as
            // Confluent's registry answers ids it has read.
            HttpResponse<String> duringOutage =
                    send(HttpRequest.newBuilder(URI.create(registry.url() + "/schemas/ids/" + (id + 1000)))
                            .build());
            assertThat(duringOutage.statusCode()).isEqualTo(500);
            assertThat(duringOutage.body()).contains("\"error_code\":50001");
            assertThat(get(registry.url(), "/schemas/ids/" + id)).contains("Kept");
            stack.broker().start();

            assertThat(stack.bootstrapServers()).isEqualTo(before);
            producer.send(new ProducerRecord<>("restarted", "k", "after")).get();
            try (KafkaConsumer<String, String> consumer = consumer(stack, "restart-group", 10)) {
                assertThat(poll(consumer, "restarted", 2))
                        .extracting(ConsumerRecord::value)
                        .containsExactly("before", "after");
            }
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(get(registry.url(), "/schemas/ids/" + id))
                            .contains("Kept"));
            assertThat(register(registry.url(), SCHEMA)).isEqualTo(id);
        } finally {
            stack.close();
        }

        stack.close();
        assertThat(stack.isClosed()).isTrue();
        assertThat(stack.broker().isRunning()).isFalse();
        assertThat(Files.exists(stack.dataDir()))
                .as("an ephemeral stack deletes its data on close")
                .isFalse();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static KafkaProducer<String, String> producer(DevStack stack) {
        return new KafkaProducer<>(
                Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new StringSerializer(),
                new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(DevStack stack, String group, int maxPollRecords) {
        return new KafkaConsumer<>(
                Map.of(
                        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                        stack.bootstrapServers(),
                        ConsumerConfig.GROUP_ID_CONFIG,
                        group,
                        ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest",
                        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                        false,
                        ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                        maxPollRecords),
                new StringDeserializer(),
                new StringDeserializer());
    }

    private static List<ConsumerRecord<String, String>> poll(
            KafkaConsumer<String, String> consumer, String topic, int count) {
        consumer.subscribe(List.of(topic));
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(100)).forEach(received::add);
            return received.size() >= count;
        });
        return received;
    }

    private static int register(String registryUrl, String schema) throws Exception {
        String body = new ObjectMapper().writeValueAsString(Map.of("schema", schema));
        HttpResponse<String> response =
                send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects/kept-value/versions"))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build());
        assertThat(response.statusCode()).isEqualTo(200);
        return new ObjectMapper().readTree(response.body()).get("id").asInt();
    }

    private static String get(String registryUrl, String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(registryUrl + path)).build())
                .body();
    }

    private static HttpResponse<String> send(HttpRequest request) throws Exception {
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
