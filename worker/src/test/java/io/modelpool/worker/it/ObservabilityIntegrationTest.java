package io.modelpool.worker.it;

import static io.modelpool.worker.it.Fixtures.createTopics;
import static io.modelpool.worker.it.Fixtures.freshPrefix;
import static io.modelpool.worker.it.Fixtures.request;
import static io.modelpool.worker.it.Fixtures.send;
import static io.modelpool.worker.it.Fixtures.sentences;
import static io.modelpool.worker.it.Fixtures.workerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.observe.Scrape;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's HTTP endpoints against a real job on the devstack: what {@code /metrics} counts matches the records
 * processed, and {@code /health/ready} follows partition assignment and shutdown.
 */
class ObservabilityIntegrationTest {

    private static final String MODEL = "all-minilm-l6-v2-q";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Worker> running = new ArrayList<>();

    @AfterEach
    void stopWorkers() throws InterruptedException {
        for (Worker w : running) {
            w.beginShutdown();
            w.awaitShutdown();
        }
    }

    private Worker startWorker(String prefix, Map<String, String> overrides) throws IOException {
        Map<String, String> settings = new HashMap<>(overrides);
        settings.put(WorkerConfig.HTTP_PORT, Integer.toString(freePort()));
        settings.put(WorkerConfig.HTTP_BIND_ADDRESS, "127.0.0.1");
        settings.put(WorkerConfig.HEALTH_CHECK_INTERVAL_MS, "200");
        settings.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        Worker w = Worker.start(WorkerConfig.of(workerSettings(prefix, settings)), IntakeListener.NONE);
        running.add(w);
        return w;
    }

    private static String base(Worker w) {
        return "http://127.0.0.1:"
                + w.observability().httpAddress().orElseThrow().getPort();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void scrapedCountersMatchTheRecordsOfARealJob() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 2);
        String requests = Topics.requests(prefix, Capability.TEXT_EMBEDDING);
        int good = 120;
        int unknownModel = 4;
        int poison = 3;
        List<String> texts = sentences(good, 11);
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer();
                KafkaProducer<byte[], byte[]> raw = Fixtures.rawProducer()) {
            for (int i = 0; i < good; i++) {
                send(producer, requests, null, request("m-" + i, MODEL, List.of(texts.get(i))));
            }
            for (int i = 0; i < unknownModel; i++) {
                send(producer, requests, null, request("u-" + i, "no-such-model-" + i, List.of("hello")));
            }
            for (int i = 0; i < poison; i++) {
                raw.send(new ProducerRecord<>(
                        requests,
                        ("p-" + i).getBytes(StandardCharsets.UTF_8),
                        "not avro".getBytes(StandardCharsets.UTF_8)));
            }
        }
        Worker worker = startWorker(prefix, Map.of());
        String base = base(worker);
        int total = good + unknownModel + poison;

        await().atMost(Duration.ofMinutes(2))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> {
                    Scrape s = Scrape.of(base);
                    assertThat(s.sum("modelpool_requests_completed_total")
                                    + s.sum("modelpool_requests_failed_total")
                                    + s.sum("modelpool_requests_dead_lettered_total"))
                            .isEqualTo(total);
                });
        // every request was consumed, so the backlog the autoscaler sees drains to 0 seconds once the consumer's lag
        // metrics refresh
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(Scrape.of(base).samples("modelpool_backlog_seconds"))
                        .singleElement()
                        .satisfies(backlog -> {
                            assertThat(backlog.labels()).containsEntry("capability", "text-embedding");
                            assertThat(backlog.value()).isZero();
                        }));
        Scrape s = Scrape.of(base);
        assertThat(s.sum("modelpool_requests_received_total", "capability", "text-embedding"))
                .isEqualTo(total);
        assertThat(s.sum("modelpool_requests_completed_total", "model", MODEL)).isEqualTo(good);
        assertThat(s.sum("modelpool_requests_failed_total", "model", "unknown", "error_code", "UNKNOWN_MODEL"))
                .as("requests naming models this worker does not serve share the model tag 'unknown'")
                .isEqualTo(unknownModel);
        assertThat(s.sum("modelpool_requests_dead_lettered_total", "reason", "WrongMagicByteException"))
                .isEqualTo(poison);
        assertThat(s.sum("modelpool_request_end_to_end_seconds_count")).isEqualTo(total);
        assertThat(s.sum("modelpool_request_queued_seconds_count", "outcome", "ok"))
                .isEqualTo(good);
        assertThat(s.sum("modelpool_batch_size_tasks_sum", "model", MODEL))
                .as("every text ran in exactly one batch")
                .isEqualTo(good);
        assertThat(s.sum("modelpool_batch_tokens_sum", "model", MODEL)).isGreaterThan(good * 5);
        assertThat(s.sum("modelpool_batch_inference_seconds_count", "model", MODEL, "outcome", "ok"))
                .isPositive();
        assertThat(s.sum("modelpool_models_loaded", "capability", "text-embedding"))
                .isPositive();
        assertThat(s.sum("modelpool_model_resident_bytes", "model", MODEL)).isGreaterThan(1_000_000);
        assertThat(s.sum("modelpool_pool_queue_depth_tasks", "model", MODEL)).isZero();
        assertThat(s.has("modelpool_pool_in_flight_tasks")).isTrue();
        assertThat(s.has("jvm_memory_used_bytes")).isTrue();
        assertThat(s.has("jvm_gc_pause_seconds_count") || s.has("jvm_gc_memory_allocated_bytes_total"))
                .isTrue();
        assertThat(s.has("process_cpu_usage")).isTrue();
        assertThat(s.samples("kafka_producer_record_send_total")).isNotEmpty();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Scrape later = Scrape.of(base);
            assertThat(later.sum("modelpool_offset_commit_seconds_count")).isPositive();
            assertThat(later.samples("kafka_consumer_fetch_manager_records_lag"))
                    .as("consumer lag per partition")
                    .anySatisfy(lag -> assertThat(lag.labels())
                            .containsEntry("topic", requests)
                            .containsKey("partition"));
        });
        assertThat(Scrape.get(base, "/health/live").statusCode()).isEqualTo(200);
        assertThat(Scrape.get(base, "/health/ready").statusCode()).isEqualTo(200);
    }

    @Test
    void readinessDoesNotWaitForPartitionsAndTurnsNotReadyAsSoonAsShutdownBegins() throws Exception {
        String prefix = freshPrefix();
        // No request topic yet, and no auto-creation: the consumer subscribes but holds no partition.
        Worker worker = startWorker(
                prefix,
                Map.of(
                        "kafka.consumer.allow.auto.create.topics", "false",
                        "kafka.consumer.metadata.max.age.ms", "300"));
        String base = base(worker);

        JsonNode before = await().atMost(Duration.ofSeconds(30))
                .until(
                        () -> ready(base),
                        r -> r.path("checks").path("broker").path("ok").asBoolean()
                                && r.path("checks").path("registry").path("ok").asBoolean());
        // A member without partitions (more workers than partitions) is ready: a rollout must not wait for it.
        assertThat(before.path("status").asText()).isEqualTo("READY");
        assertThat(before.path("checks").path("intake").path("detail").asText())
                .isEqualTo("running, no partitions assigned (idle member)");
        assertThat(Scrape.get(base, "/health/ready").statusCode()).isEqualTo(200);
        assertThat(Scrape.get(base, "/health/live").statusCode()).isEqualTo(200);

        createTopics(prefix, 1);
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> ready(base)
                        .path("checks")
                        .path("intake")
                        .path("detail")
                        .asText()
                        .equals("partitions assigned"));
        assertThat(Scrape.get(base, "/health/ready").statusCode()).isEqualTo(200);
        assertThat(Scrape.of(base).sum("modelpool_worker_ready")).isEqualTo(1);

        // What a SIGTERM does first (ShutdownCoordinator -> Worker.beginShutdown): readiness flips at once, while
        // the process still runs and serves HTTP.
        running.remove(worker);
        worker.beginShutdown();
        HttpResponse<String> during = Scrape.get(base, "/health/ready");
        assertThat(during.statusCode()).isEqualTo(503);
        assertThat(JSON.readTree(during.body())
                        .path("checks")
                        .path("shutdown")
                        .path("ok")
                        .asBoolean())
                .isFalse();
        assertThat(Scrape.get(base, "/health/live").statusCode()).isEqualTo(200);
        worker.awaitShutdown();
        assertThat(worker.observability().httpAddress()).isPresent();
    }

    private static JsonNode ready(String base) throws IOException, InterruptedException {
        return JSON.readTree(Scrape.get(base, "/health/ready").body());
    }
}
