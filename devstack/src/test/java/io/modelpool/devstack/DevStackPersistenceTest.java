package io.modelpool.devstack;

import com.fasterxml.jackson.databind.ObjectMapper;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** A stack with a data directory keeps its topics, records, offsets and schema ids across restarts. */
class DevStackPersistenceTest {

    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"Kept\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
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
                assertThat(poll(consumer, topic, 3)).extracting(ConsumerRecord::value)
                        .containsExactly("record-0", "record-1", "record-2");
                consumer.commitSync();
            }
            id = register(stack, SCHEMA);
        }

        try (DevStack stack = DevStack.start(options)) {
            assertThat(stack.bootstrapServers()).isEqualTo("127.0.0.1:" + options.kafkaPort());
            assertThat(stack.schemaRegistryUrl()).isEqualTo("http://127.0.0.1:" + options.registryPort());
            try (KafkaConsumer<String, String> consumer = consumer(stack, "kept-group", 10)) {
                assertThat(poll(consumer, topic, 2)).as("the group resumes after its committed offset")
                        .extracting(ConsumerRecord::value).containsExactly("record-3", "record-4");
            }
            assertThat(register(stack, SCHEMA)).isEqualTo(id);
            assertThat(get(stack, "/schemas/ids/" + id)).contains("Kept");
        }
    }

    @Test
    void aStoppedBrokerStartsAgainOnItsPortWithItsDataAndAProducerConnectedBeforeCarriesOn() throws Exception {
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral());
             KafkaProducer<String, String> producer = producer(stack)) {
            String before = stack.bootstrapServers();
            producer.send(new ProducerRecord<>("restarted", "k", "before")).get();

            stack.broker().stop();
            stack.broker().stop();
            assertThat(stack.broker().isRunning()).isFalse();
            stack.broker().start();

            assertThat(stack.bootstrapServers()).isEqualTo(before);
            producer.send(new ProducerRecord<>("restarted", "k", "after")).get();
            try (KafkaConsumer<String, String> consumer = consumer(stack, "restart-group", 10)) {
                assertThat(poll(consumer, "restarted", 2)).extracting(ConsumerRecord::value)
                        .containsExactly("before", "after");
            }
        }
    }

    @Test
    void anEphemeralStackDeletesItsDataWhenClosedAndClosingTwiceIsHarmless() {
        DevStack stack = DevStack.start(DevStackOptions.ephemeral());
        Path dir = stack.dataDir();
        assertThat(dir).isDirectory();

        stack.close();
        stack.close();

        assertThat(Files.exists(dir)).isFalse();
        assertThat(stack.isClosed()).isTrue();
        assertThat(stack.broker().isRunning()).isFalse();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static KafkaProducer<String, String> producer(DevStack stack) {
        return new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers()),
                new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(DevStack stack, String group, int maxPollRecords) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, stack.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords),
                new StringDeserializer(), new StringDeserializer());
    }

    private static List<ConsumerRecord<String, String>> poll(KafkaConsumer<String, String> consumer, String topic,
                                                             int count) {
        consumer.subscribe(List.of(topic));
        List<ConsumerRecord<String, String>> received = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            consumer.poll(Duration.ofMillis(100)).forEach(received::add);
            return received.size() >= count;
        });
        return received;
    }

    private static int register(DevStack stack, String schema) throws Exception {
        String body = new ObjectMapper().writeValueAsString(Map.of("schema", schema));
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                        URI.create(stack.schemaRegistryUrl() + "/subjects/kept-value/versions"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return Integer.parseInt(response.body().replaceAll("\\D", ""));
    }

    private static String get(DevStack stack, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(stack.schemaRegistryUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
