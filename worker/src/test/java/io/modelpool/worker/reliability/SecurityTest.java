package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.DevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.observe.Scrape;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a request, a neighbouring topic or a reader of the logs can and cannot make a worker do: it reads only its
 * request topics, writes results only to its capability's result topic, opens only files the manifest names, refuses
 * oversized requests before decoding them, serves read-only HTTP on the configured address only, and never logs a
 * secret. Each runs a real worker JVM against the devstack.
 */
@Tag("reliability")
class SecurityTest {

    private static final Duration START = Duration.ofSeconds(120);
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aWorkerReadsOnlyTheRequestTopicsOfItsManifestsCapabilities() throws Exception {
        DevStack stack = Job.stack();
        try (Job job = Job.create(stack, 2, false);
                Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()));
                KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
            List<String> neighbours = List.of(
                    Topics.requests(job.prefix(), Capability.TEXT_TO_TEXT),
                    Topics.requests(job.prefix(), Capability.VISION),
                    job.prefix() + ".internal-secrets",
                    job.prefix() + ".text-embedding.requests-extra");
            stack.createTopics(
                    neighbours.stream().map(t -> new NewTopic(t, 1, (short) 1)).toList());
            for (String t : neighbours) {
                raw.send(new ProducerRecord<>(
                                t,
                                "n".getBytes(StandardCharsets.UTF_8),
                                "not for you".getBytes(StandardCharsets.UTF_8)))
                        .get(30, TimeUnit.SECONDS);
            }
            job.send("only-1", List.of("a text."));
            job.flush();
            try (WorkerProcess worker = start(job, "topics", Map.of())) {
                worker.awaitAssignment(START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(job::allAnswered);
                ConsumerGroupDescription group = admin.describeConsumerGroups(List.of(job.group()))
                        .all()
                        .get(30, TimeUnit.SECONDS)
                        .get(job.group());
                Set<String> assigned = group.members().stream()
                        .flatMap(m -> m.assignment().topicPartitions().stream())
                        .map(TopicPartition::topic)
                        .collect(Collectors.toCollection(TreeSet::new));
                String bulk = Topics.bulkRequests(job.prefix(), Capability.TEXT_EMBEDDING);
                assertThat(assigned)
                        .as("topics assigned to the worker: its capability's request topic and its bulk sibling")
                        .containsExactly(job.requestTopic(), bulk);
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                assertThat(job.committed().keySet())
                        .extracting(TopicPartition::topic)
                        .contains(job.requestTopic())
                        .isSubsetOf(job.requestTopic(), bulk);
                Set<String> committedTopics = admin
                        .listConsumerGroupOffsets(job.group())
                        .partitionsToOffsetAndMetadata()
                        .get(30, TimeUnit.SECONDS)
                        .keySet()
                        .stream()
                        .map(TopicPartition::topic)
                        .collect(Collectors.toSet());
                assertThat(committedTopics)
                        .as("topics the group ever committed")
                        .contains(job.requestTopic())
                        .isSubsetOf(job.requestTopic(), bulk);
                assertThat(RawRecords.count(stack, job.deadLetterTopic()))
                        .as("nothing else was read")
                        .isZero();
            }
        }
    }

    @Test
    void resultsGoOnlyToTheResultTopicOfTheCapabilityWhateverTheRequestSays() throws Exception {
        DevStack stack = Job.stack();
        try (Job job = Job.create(stack, 1, false);
                Admin admin = Admin.create(Map.of("bootstrap.servers", stack.bootstrapServers()));
                KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
            String victim = job.prefix() + ".victim";
            stack.createTopics(Map.of(victim, 1));
            Serializer<TextEmbeddingRequest> serializer = ConfluentAvroSerde.specificSerializer(
                    TextEmbeddingRequest.class, Map.of("schema.registry.url", stack.schemaRegistryUrl()), false);
            // Every way a client might try to pick the destination: reply headers, and topic names in the fields.
            RecordHeaders headers = new RecordHeaders();
            for (String h : List.of(
                    "reply-to", "replyTo", "kafka_replyTopic", "modelpool.reply-topic", "modelpool.result.topic")) {
                headers.add(h, victim.getBytes(StandardCharsets.UTF_8));
            }
            TextEmbeddingRequest request = TextEmbeddingRequest.newBuilder()
                    .setId(victim)
                    .setJobId(victim)
                    .setModel(Job.MODEL)
                    .setTexts(List.of(victim))
                    .setInputType(EmbeddingInputType.DOCUMENT)
                    .build();
            raw.send(new ProducerRecord<>(
                            job.requestTopic(),
                            null,
                            victim.getBytes(StandardCharsets.UTF_8),
                            serializer.serialize(job.requestTopic(), request),
                            headers))
                    .get(30, TimeUnit.SECONDS);
            try (WorkerProcess worker = start(job, "routing", Map.of())) {
                worker.awaitAssignment(START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> job.answers().containsKey(victim));
                assertThat(job.answers().get(victim))
                        .extracting(Job.Answer::status)
                        .containsExactly(ResultStatus.OK);
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
            assertThat(RawRecords.count(stack, victim))
                    .as("records written to the topic the request named")
                    .isZero();
            Set<String> written = new TreeSet<>();
            for (String t : admin.listTopics().names().get(30, TimeUnit.SECONDS)) {
                if (t.startsWith(job.prefix()) && !t.equals(job.requestTopic()) && RawRecords.count(stack, t) > 0) {
                    written.add(t);
                }
            }
            assertThat(written).as("topics of this prefix the worker wrote to").containsExactly(job.resultTopic());
        }
    }

    @Test
    void requestsNameModelKeysNeverFilesAndAPathIsAnUnknownModel() {
        try (Job job = Job.create(Job.stack(), 1, false)) {
            List<String> paths = List.of(
                    "/etc/passwd",
                    "file:/etc/passwd",
                    "../../../../etc/passwd",
                    "classpath:all-minilm-l6-v2-q.onnx",
                    "classpath:process/minilm.yaml",
                    "all-minilm-l6-v2-q/../x",
                    "https://example.invalid/model.onnx");
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < paths.size(); i++) {
                ids.add("good-" + i);
                job.send("good-" + i, List.of("a text."), null);
            }
            job.flush();
            Map<String, String> modelOf = new HashMap<>();
            try (WorkerProcess worker = startSending(job, paths, modelOf)) {
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> job.answers().keySet().containsAll(modelOf.keySet()) && job.allAnswered());
                Map<String, List<Job.Answer>> answers = job.answers();
                assertThat(modelOf.keySet())
                        .allSatisfy(id -> assertThat(answers.get(id))
                                .singleElement()
                                .satisfies(a -> {
                                    assertThat(a.status())
                                            .as("%s", modelOf.get(id))
                                            .isEqualTo(ResultStatus.ERROR);
                                    assertThat(a.errorCode())
                                            .as("%s", modelOf.get(id))
                                            .isEqualTo("UNKNOWN_MODEL");
                                }));
                assertThat(ids)
                        .allSatisfy(id -> assertThat(answers.get(id))
                                .extracting(Job.Answer::status)
                                .containsOnly(ResultStatus.OK));
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
        }
    }

    private WorkerProcess startSending(Job job, List<String> models, Map<String, String> modelOf) {
        DevStack stack = job.devStack();
        Serializer<TextEmbeddingRequest> serializer = ConfluentAvroSerde.specificSerializer(
                TextEmbeddingRequest.class, Map.of("schema.registry.url", stack.schemaRegistryUrl()), false);
        try (KafkaProducer<byte[], byte[]> raw = RawRecords.producer(stack)) {
            for (int i = 0; i < models.size(); i++) {
                String id = "model-path-" + i;
                modelOf.put(id, models.get(i));
                TextEmbeddingRequest r = TextEmbeddingRequest.newBuilder()
                        .setId(id)
                        .setModel(models.get(i))
                        .setTexts(List.of("a text."))
                        .setInputType(EmbeddingInputType.DOCUMENT)
                        .build();
                raw.send(new ProducerRecord<>(
                        job.requestTopic(),
                        id.getBytes(StandardCharsets.UTF_8),
                        serializer.serialize(job.requestTopic(), r)));
            }
            raw.flush();
        }
        return start(job, "paths", Map.of()).awaitAssignment(START);
    }

    @Test
    void aRequestOverTheSizeLimitIsDeadLetteredWithoutBeingDecoded() {
        DevStack stack = Job.stack();
        try (Job job = Job.create(stack, 1, false)) {
            job.send("small", List.of("a short text."));
            job.send("large", List.of("word ".repeat(400)));
            job.flush();
            try (WorkerProcess worker = start(job, "size", Map.of(WorkerConfig.MAX_REQUEST_BYTES, "1024"))) {
                worker.awaitAssignment(START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> job.answers().containsKey("small")
                                && RawRecords.count(stack, job.deadLetterTopic()) == 1);
                List<ConsumerRecord<byte[], byte[]>> dead = RawRecords.readAll(stack, job.deadLetterTopic());
                assertThat(dead).singleElement().satisfies(r -> {
                    assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("large");
                    assertThat(new String(
                                    r.headers()
                                            .lastHeader("modelpool.error.class")
                                            .value(),
                                    StandardCharsets.UTF_8))
                            .isEqualTo("RequestTooLarge");
                });
                assertThat(job.answers())
                        .as("the oversized request is not answered: it was never decoded")
                        .doesNotContainKey("large");
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
        }
    }

    @Test
    void theHttpEndpointsListenOnlyOnTheConfiguredAddressAndChangeNothing() throws Exception {
        int port = MetricsWatch.freePort();
        try (Job job = Job.create(Job.stack(), 1, false);
                WorkerProcess worker = start(
                        job,
                        "http",
                        Map.of(
                                WorkerConfig.HTTP_PORT,
                                Integer.toString(port),
                                WorkerConfig.HTTP_BIND_ADDRESS,
                                "127.0.0.1"))) {
            worker.awaitAssignment(START);
            String base = "http://127.0.0.1:" + port;
            assertThat(Scrape.get(base, "/metrics").statusCode()).isEqualTo(200);
            for (String path : List.of("/metrics", "/health/live", "/health/ready", "/", "/config", "/shutdown")) {
                for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
                    HttpResponse<String> r = HTTP.send(
                            HttpRequest.newBuilder(URI.create(base + path))
                                    .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as("%s %s", method, path).isIn(404, 405);
                }
            }
            assertThat(Scrape.get(base, "/config").statusCode())
                    .as("no configuration endpoint")
                    .isEqualTo(404);
            List<InetAddress> others = nonLoopbackAddresses();
            for (InetAddress a : others) {
                assertThat(connects(new InetSocketAddress(a, port)))
                        .as("reachable on %s", a)
                        .isFalse();
            }
            assertThat(worker.isAlive())
                    .as("still serving after the refused requests")
                    .isTrue();
            worker.sigterm();
            assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            Figures.report(
                    "security/http",
                    "bound to 127.0.0.1:%d; POST/PUT/DELETE/PATCH on 6 paths answered "
                            + "404/405; not reachable on %d other local addresses %s",
                    port,
                    others.size(),
                    others);
        }
    }

    @Test
    void secretsInKafkaAndRegistrySettingsNeverReachTheLogsEvenAtDebug() throws Exception {
        String kafkaPassword = "kafka-secret-Q7x9Zr";
        String registryPassword = "registry-secret-P4w2Lm";
        String urlPassword = "url-secret-M5n1Tb";
        String sslPassword = "ssl-secret-K3j8Vc";
        DevStack stack = Job.stack();
        Path logback = Path.of("target", "test-classes", "reliability", "logback-everything.xml")
                .toAbsolutePath();
        try (Job job = Job.create(stack, 1, false)) {
            Map<String, String> settings = new HashMap<>(job.workerSettings(
                    "secrets", KillLoopTest.MANIFEST, Map.of(WorkerConfig.JOBS_TRACKER_ENABLED, "false")));
            settings.put("kafka.security.protocol", "SASL_PLAINTEXT");
            settings.put("kafka.sasl.mechanism", "PLAIN");
            settings.put(
                    "kafka.sasl.jaas.config",
                    "org.apache.kafka.common.security.plain.PlainLoginModule "
                            + "required username=\"modelpool\" password=\"" + kafkaPassword + "\";");
            settings.put("kafka.ssl.key.password", sslPassword);
            settings.put("schema.registry.basic.auth.credentials.source", "USER_INFO");
            settings.put("schema.registry.basic.auth.user.info", "registry-user:" + registryPassword);
            settings.put(
                    WorkerConfig.SCHEMA_REGISTRY_URL,
                    stack.schemaRegistryUrl().replace("http://", "http://url-user:" + urlPassword + "@"));
            settings.put(WorkerConfig.HTTP_PORT, Integer.toString(MetricsWatch.freePort()));
            settings.put(WorkerConfig.HTTP_BIND_ADDRESS, "127.0.0.1");
            settings.put(WorkerConfig.HEALTH_CHECK_INTERVAL_MS, "500");
            try (WorkerProcess worker = WorkerProcess.start(
                    job.prefix() + "-secrets",
                    settings,
                    false,
                    Map.of(
                            "JAVA_TOOL_OPTIONS",
                            "-Dlogback.configurationFile=" + logback,
                            "MODELPOOL_LOG_LEVEL",
                            "DEBUG"))) {
                // The SASL client meets the devstack's PLAINTEXT listener: the handshake fails, and the worker
                // stops on that fatal error (a misconfigured worker fails fast); everything is logged at DEBUG.
                await("the SASL handshake was tried")
                        .atMost(START)
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> !worker.isAlive()
                                || worker.log().contains("failed authentication")
                                        && worker.log().contains("Consumer clientId=secrets-intake"));
                if (worker.isAlive()) {
                    worker.sigterm();
                }
                worker.awaitExit(Duration.ofSeconds(30));
                String log = worker.log();
                assertThat(log)
                        .as(
                                "the log of a SASL-configured run (%d lines)",
                                log.lines().count())
                        .contains("Consumer clientId=secrets-intake")
                        .contains("failed authentication")
                        .contains("sasl.jaas.config = [hidden]")
                        .contains("ssl.key.password = [hidden]")
                        .doesNotContain(kafkaPassword)
                        .doesNotContain(registryPassword)
                        .doesNotContain(urlPassword)
                        .doesNotContain(sslPassword);
                Figures.report(
                        "security/secrets",
                        "DEBUG log of a SASL/PLAIN + registry basic-auth run: %d lines, "
                                + "%d '[hidden]' values, 0 occurrences of the 4 secrets",
                        log.lines().count(),
                        log.split("\\[hidden\\]", -1).length - 1);
            }
        }
    }

    private static WorkerProcess start(Job job, String name, Map<String, String> overrides) {
        Map<String, String> o = new HashMap<>(overrides);
        o.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        return WorkerProcess.start(job.prefix() + "-" + name, job.workerSettings(name, KillLoopTest.MANIFEST, o));
    }

    private static List<InetAddress> nonLoopbackAddresses() throws IOException {
        List<InetAddress> out = new ArrayList<>();
        for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (nic.isUp() && !nic.isLoopback()) {
                Collections.list(nic.getInetAddresses()).stream()
                        .filter(a -> a instanceof Inet4Address)
                        .forEach(out::add);
            }
        }
        return out;
    }

    private static boolean connects(InetSocketAddress address) {
        try (Socket s = new Socket()) {
            s.connect(address, 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
