package io.modelpool.devstack.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelpool.devstack.SharedDevStack;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The registry's Kafka store: ids survive a registry restart and the topic's compaction, and instances sharing a
 * topic agree. Each test stores in its own topic on the shared broker.
 */
class SchemaRegistryStoreTest {

    private static String bootstrapServers;

    @BeforeAll
    static void sharedBroker() {
        bootstrapServers = SharedDevStack.get().bootstrapServers();
    }

    private static RegistrySettings settings(TestInfo test) {
        return RegistrySettings.defaults(bootstrapServers, 0)
                .withTopic("_schemas-" + test.getTestMethod().orElseThrow().getName());
    }

    @Test
    void aRestartedRegistryAnswersTheSameIdsFromTheTopic(TestInfo test) {
        Map<String, Integer> ids = new HashMap<>();
        try (SchemaRegistryServer first = SchemaRegistryServer.start(settings(test))) {
            RegistryClient client = new RegistryClient(first.url());
            for (String name : List.of("A", "B", "C")) {
                ids.put(name, client.registerOk("restart-" + name, Schemas.record(name)));
            }
            client.registerOk("restart-A", Schemas.recordWithExtraField("A"));
            client.put("/config/restart-B", Map.of("compatibility", "FULL"));
        }

        try (SchemaRegistryServer second = SchemaRegistryServer.start(settings(test))) {
            RegistryClient client = new RegistryClient(second.url());

            for (String name : List.of("A", "B", "C")) {
                assertThat(client.registerOk("restart-" + name, Schemas.record(name)))
                        .isEqualTo(ids.get(name));
                assertThat(client.get("/schemas/ids/" + ids.get(name))
                                .body()
                                .get("schema")
                                .asText())
                        .isEqualTo(RegistryService.parse(Schemas.record(name)).toString());
            }
            JsonNode lookup = client.post("/subjects/restart-C", Map.of("schema", Schemas.record("C")))
                    .body();
            assertThat(lookup.get("id").asInt()).isEqualTo(ids.get("C"));
            assertThat(client.get("/subjects/restart-A/versions").body())
                    .extracting(JsonNode::asInt)
                    .containsExactly(1, 2);
            assertThat(client.get("/config/restart-B")
                            .body()
                            .get("compatibilityLevel")
                            .asText())
                    .isEqualTo("FULL");
            assertThat(client.registerOk("restart-D", Schemas.record("D")))
                    .as("a new schema gets a new id")
                    .isNotIn(ids.values());
        }
    }

    @Test
    void twoRegistriesOnOneTopicHandOutOneIdPerSchemaUnderConcurrentRegistration(TestInfo test) throws Exception {
        try (SchemaRegistryServer left = SchemaRegistryServer.start(settings(test));
                SchemaRegistryServer right = SchemaRegistryServer.start(settings(test))) {
            List<RegistryClient> clients = List.of(new RegistryClient(left.url()), new RegistryClient(right.url()));
            clients.get(0).put("/config/shared", Map.of("compatibility", "NONE"));
            int schemas = 12;
            ExecutorService pool = Executors.newFixedThreadPool(4);
            List<Future<Registration>> futures = new ArrayList<>();
            try {
                // Every schema is registered through both instances, under its own subject and a shared one. The
                // instances walk the schemas in opposite orders, so at any moment they propose different schemas
                // and race for the next id and the next version of "shared".
                for (int i = 0; i < schemas; i++) {
                    int mirrored = schemas - 1 - i;
                    futures.add(pool.submit(registration(clients.get(0), "own-" + i, Schemas.record("C" + i))));
                    futures.add(pool.submit(
                            registration(clients.get(1), "own-" + mirrored, Schemas.record("C" + mirrored))));
                    futures.add(pool.submit(registration(clients.get(0), "shared", Schemas.record("C" + i))));
                    futures.add(pool.submit(registration(clients.get(1), "shared", Schemas.record("C" + mirrored))));
                }
                List<Registration> registrations = new ArrayList<>();
                for (Future<Registration> f : futures) {
                    registrations.add(f.get());
                }

                Map<String, Integer> idBySchema = new HashMap<>();
                for (Registration r : registrations) {
                    Integer earlier = idBySchema.putIfAbsent(r.schema(), r.id());
                    assertThat(earlier == null ? r.id() : earlier)
                            .as("one id for %s", r.schema())
                            .isEqualTo(r.id());
                }
                assertThat(idBySchema).hasSize(schemas);
                assertThat(new HashSet<>(idBySchema.values()))
                        .as("no id for two schemas")
                        .hasSize(schemas);
            } finally {
                pool.shutdownNow();
            }

            for (RegistryClient client : clients) {
                assertThat(client.get("/subjects/shared/versions").body()).hasSize(schemas);
            }
            for (int id = 1; id <= schemas; id++) {
                assertThat(clients.get(0).get("/schemas/ids/" + id).body())
                        .isEqualTo(clients.get(1).get("/schemas/ids/" + id).body());
                assertThat(clients.get(0)
                                .get("/schemas/ids/" + id + "/versions")
                                .body())
                        .isEqualTo(clients.get(1)
                                .get("/schemas/ids/" + id + "/versions")
                                .body());
            }
        }
    }

    private record Registration(String schema, int id) {}

    private static Callable<Registration> registration(RegistryClient client, String subject, String schema) {
        return () -> new Registration(RegistryService.parse(schema).toString(), client.registerOk(subject, schema));
    }

    @Test
    void aRegistryStartedAfterCompactionAnswersAsTheOneThatWroteTheLog(TestInfo test) throws Exception {
        RegistrySettings settings = settings(test);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            admin.createTopics(List.of(new NewTopic(settings.topic(), 1, (short) 1)
                            .configs(Map.of(
                                    TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
                                    TopicConfig.SEGMENT_MS_CONFIG, "100",
                                    TopicConfig.MIN_CLEANABLE_DIRTY_RATIO_CONFIG, "0.01",
                                    TopicConfig.MIN_COMPACTION_LAG_MS_CONFIG, "0",
                                    TopicConfig.DELETE_RETENTION_MS_CONFIG, "0"))))
                    .all()
                    .get();
        }
        try (SchemaRegistryServer writer = SchemaRegistryServer.start(settings)) {
            RegistryClient client = new RegistryClient(writer.url());
            client.registerOk("compacted-gone", Schemas.record("Gone"));
            int kept = client.registerOk("compacted-kept", Schemas.record("Kept"));
            client.registerOk("compacted-kept", Schemas.recordWithExtraField("Kept"));
            client.delete("/subjects/compacted-gone");
            client.delete("/subjects/compacted-gone?permanent=true");
            // A proposal that lost the race for version 1 and whose writer died before erasing it.
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(
                    Map.of("bootstrap.servers", bootstrapServers),
                    new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                StoreRecord.Encoded loser = StoreRecord.Codec.encode(new StoreRecord.SchemaRegistered(
                        "compacted-kept",
                        1,
                        99,
                        RegistryService.parse(Schemas.record("Loser")).toString()));
                producer.send(new ProducerRecord<>(settings.topic(), 0, loser.key(), loser.value()))
                        .get();
            }
            List<String> before = answers(client, kept);
            assertThat(before.get(2)).contains("\"id\":" + kept).contains("Kept");
            assertThat(before.get(4)).as("the loser's id was never given out").contains("40403");
            assertThat(before.get(5))
                    .as("the loser is not a version of the subject")
                    .contains("40403");

            // Each write rolls a segment (segment.ms=100), so the cleaner, looking every second, keeps finding
            // dirty segments to compact.
            await().atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        client.put("/config/compacted-filler", Map.of("compatibility", "NONE"));
                        return keysIn(settings.topic()).stream().noneMatch(k -> k.contains("compacted-gone"));
                    });

            assertThat(keysIn(settings.topic()))
                    .as("compaction dropped the deleted subject and kept the loser")
                    .anyMatch(k -> k.contains("\"id\":99"));

            try (SchemaRegistryServer reader = SchemaRegistryServer.start(settings)) {
                assertThat(answers(new RegistryClient(reader.url()), kept)).isEqualTo(before);
            }
        }
    }

    /** What a client sees of the compaction test's subjects, as comparable text. */
    private static List<String> answers(RegistryClient client, int keptId) {
        return List.of(
                client.get("/subjects?deleted=true").body().toString(),
                client.get("/subjects/compacted-kept/versions").body().toString(),
                client.get("/subjects/compacted-kept/versions/1").body().toString(),
                client.get("/schemas/ids/" + keptId).body().toString(),
                client.get("/schemas/ids/99").body().toString(),
                client.post("/subjects/compacted-kept", Map.of("schema", Schemas.record("Loser")))
                        .body()
                        .toString());
    }

    private static List<String> keysIn(String topic) {
        List<String> keys = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                Map.of("bootstrap.servers", bootstrapServers),
                new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition partition = new TopicPartition(topic, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                consumer.poll(Duration.ofMillis(100))
                        .forEach(r -> keys.add(new String(r.key(), StandardCharsets.UTF_8)));
            }
        }
        return keys;
    }
}
