package io.modelpool.worker.it;

import static io.modelpool.worker.it.Fixtures.createTopics;
import static io.modelpool.worker.it.Fixtures.drainTopic;
import static io.modelpool.worker.it.Fixtures.freshPrefix;
import static io.modelpool.worker.it.Fixtures.send;
import static io.modelpool.worker.it.Fixtures.sentences;
import static io.modelpool.worker.it.Fixtures.workerSettings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The bulk lane on the devstack broker with the real MiniLM model: batch-job requests on
 * {@code <prefix>.text-embedding.requests.bulk} never sit ahead of interactive requests on the request topic, and a
 * steady interactive load does not stop them.
 */
class BulkLaneIntegrationTest {

    private static final String MODEL = "all-minilm-l6-v2-q";

    private final List<Worker> workers = new ArrayList<>();

    @AfterEach
    void stopWorkers() throws InterruptedException {
        for (Worker w : workers) {
            w.beginShutdown();
            w.awaitShutdown();
        }
    }

    private static TextEmbeddingRequest bulk(String id, String text) {
        return TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setJobId("job-bulk-lane")
                .setModel(MODEL)
                .setTexts(List.of(text))
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
    }

    private static TextEmbeddingRequest interactive(String id, String text) {
        return TextEmbeddingRequest.newBuilder()
                .setId(id)
                .setModel(MODEL)
                .setTexts(List.of(text))
                .setInputType(EmbeddingInputType.QUERY)
                .build();
    }

    @Test
    void anInteractiveRequestProducedAfterABulkBacklogIsAnsweredBeforeTheBacklogIsDone() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 2);
        int backlog = 1500;
        List<String> texts = sentences(backlog, 11);
        try (KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            for (int i = 0; i < backlog; i++) {
                send(
                        producer,
                        Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING),
                        null,
                        bulk("bulk-" + i, texts.get(i)));
            }
        }
        workers.add(Worker.start(WorkerConfig.of(workerSettings(prefix, Map.of())), IntakeListener.NONE));

        Map<String, TextEmbeddingResult> results = new ConcurrentHashMap<>();
        String resultTopic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer();
                KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        drainTopic(consumer, resultTopic, r -> results.put(r.key(), r.value()));
                        return !results.isEmpty();
                    });
            send(
                    producer,
                    Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                    null,
                    interactive("interactive-1", "is this answered before the job is done?"));
            producer.flush();
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> {
                        drainTopic(consumer, resultTopic, r -> results.put(r.key(), r.value()));
                        return results.containsKey("interactive-1");
                    });
            long bulkDone =
                    results.keySet().stream().filter(k -> k.startsWith("bulk-")).count();
            assertThat(results.get("interactive-1").getStatus()).isEqualTo(ResultStatus.OK);
            assertThat(bulkDone)
                    .as("bulk results published when the interactive one was read")
                    .isLessThan(backlog);

            // The backlog is then answered whole.
            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> {
                        drainTopic(consumer, resultTopic, r -> results.put(r.key(), r.value()));
                        return results.size() == backlog + 1;
                    });
        }
    }

    @Test
    void bulkWorkIsNotStarvedWhileAnInteractiveBacklogKeepsEveryBoundReached() throws Exception {
        String prefix = freshPrefix();
        createTopics(prefix, 2);
        int jobSize = 60;
        int interactiveLoad = 2000;
        List<String> texts = sentences(interactiveLoad, 12);
        // Every bound is reached by interactive work: a record window smaller than the interactive backlog.
        workers.add(Worker.start(
                WorkerConfig.of(
                        workerSettings(prefix, Map.of(WorkerConfig.HIGH_WATER, "200", WorkerConfig.LOW_WATER, "50"))),
                IntakeListener.NONE));
        Map<String, TextEmbeddingResult> results = new ConcurrentHashMap<>();
        String resultTopic = Topics.results(prefix, Capability.TEXT_EMBEDDING);
        try (KafkaConsumer<String, TextEmbeddingResult> consumer = Fixtures.resultConsumer();
                KafkaProducer<String, TextEmbeddingRequest> producer = Fixtures.requestProducer()) {
            for (int i = 0; i < interactiveLoad; i++) {
                send(
                        producer,
                        Topics.requests(prefix, Capability.TEXT_EMBEDDING),
                        null,
                        interactive("interactive-" + i, texts.get(i)));
            }
            producer.flush();
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        drainTopic(consumer, resultTopic, r -> results.put(r.key(), r.value()));
                        return !results.isEmpty();
                    });
            for (int i = 0; i < jobSize; i++) {
                send(
                        producer,
                        Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING),
                        null,
                        bulk("bulk-" + i, texts.get(i)));
            }
            producer.flush();

            await().atMost(Duration.ofMinutes(3))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> {
                        drainTopic(consumer, resultTopic, r -> results.put(r.key(), r.value()));
                        return results.keySet().stream()
                                        .filter(k -> k.startsWith("bulk-"))
                                        .count()
                                == jobSize;
                    });
            long interactiveDone = results.keySet().stream()
                    .filter(k -> k.startsWith("interactive-"))
                    .count();
            assertThat(interactiveDone)
                    .as("interactive results when the last bulk one was read")
                    .isLessThan(interactiveLoad);
        }
    }
}
