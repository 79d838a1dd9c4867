package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.worker.Worker;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.lifecycle.ShutdownCoordinator;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The first step of the shutdown sequence, seen from inside the worker (the process tests see only its effects):
 * from the moment the coordinator is told, while the drain still runs, readiness is off and every pool refuses new
 * work with {@code PoolError.ShuttingDown}, so nothing submitted during the drain can be taken and then lost.
 */
class ShutdownSequenceInProcessTest {

    @Test
    void theHighWaterMarkAndTheInteractiveReserveBoundTheRequestsInFlightEvenWhenOnePollReturnsMoreRecords()
            throws Exception {
        try (Job job = Job.create(1)) {
            int n = 400;
            List<String> texts = job.shortTexts(n);
            for (int i = 0; i < n; i++) {
                job.send("r-" + i, texts.subList(i, i + 1));
            }
            job.flush();
            AtomicInteger inFlight = new AtomicInteger();
            AtomicInteger maxInFlight = new AtomicInteger();
            IntakeListener counting = new IntakeListener() {
                @Override
                public void received(Capability capability) {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                }

                @Override
                public void answered(Capability capability, Outcome.Envelope result, long recordTimestampMs) {
                    inFlight.decrementAndGet();
                }

                @Override
                public void deadLettered(Capability capability, DeadLetter letter, long recordTimestampMs) {
                    inFlight.decrementAndGet();
                }
            };
            // The backlog is there before the worker starts, so its first poll returns max.poll.records (500).
            WorkerConfig config = WorkerConfig.of(job.workerSettings(
                    "bounded",
                    GracefulShutdownProcessTest.FAST,
                    Map.of(
                            WorkerConfig.HIGH_WATER,
                            "16",
                            WorkerConfig.LOW_WATER,
                            "4",
                            WorkerConfig.INTERACTIVE_RESERVE,
                            "8")));
            Worker worker = Worker.start(config, counting);
            try {
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(job::allAnswered);
            } finally {
                worker.beginShutdown();
                worker.awaitShutdown();
            }
            assertThat(maxInFlight.get())
                    .as("most requests taken and not yet acknowledged at once: these are interactive (no job id, "
                            + "not the bulk topic), so the high-water mark and the interactive reserve")
                    .isBetween(1, 16 + 8);
            assertThat(job.answers().values())
                    .allSatisfy(list -> assertThat(list).hasSize(1));
        }
    }

    @Test
    void fromTheFirstSignalThePoolsRejectNewWorkWithShuttingDownAndReadinessIsOffWhileTheDrainRuns() throws Exception {
        try (Job job = Job.create(1)) {
            WorkerConfig config = WorkerConfig.of(job.workerSettings(
                    "in-process",
                    GracefulShutdownProcessTest.SLOW,
                    Map.of(
                            WorkerConfig.DRAIN_TIMEOUT_MS,
                            "1000",
                            WorkerConfig.HTTP_PORT,
                            Integer.toString(freePort()),
                            WorkerConfig.HTTP_BIND_ADDRESS,
                            "127.0.0.1",
                            WorkerConfig.HEALTH_CHECK_INTERVAL_MS,
                            "200")));
            Worker worker = Worker.start(config, IntakeListener.NONE);
            CopyOnWriteArrayList<Integer> halts = new CopyOnWriteArrayList<>();
            ShutdownCoordinator coordinator =
                    new ShutdownCoordinator(worker, config.drainTimeout().plus(config.closeTimeout()), halts::add);
            try {
                signalMidDrain(job, worker, coordinator, config.httpPort());
            } finally {
                coordinator.requestStop("end of test");
                assertThat(coordinator.awaitCompletion()).isZero();
            }
            assertThat(halts).as("the watchdog did not fire").isEmpty();
            assertThat(worker.intake().shutdownReport().abandoned())
                    .as("the heavy request")
                    .isEqualTo(1);
            assertThat(job.answers()).containsOnlyKeys("canary");
        }
    }

    private static void signalMidDrain(Job job, Worker worker, ShutdownCoordinator coordinator, int httpPort)
            throws Exception {
        job.send("canary", job.shortTexts(1));
        job.send("heavy", job.longTexts(200));
        job.flush();
        await().atMost(Duration.ofMinutes(1))
                .pollInterval(Duration.ofMillis(10))
                .until(() -> job.answers().containsKey("canary"));
        // Admission by work lets the heavy request in once the canary's batch taught the model its rate: wait until
        // it is in the pool, so the signal finds it computing.
        await("the heavy request is in the pool")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(10))
                .until(() ->
                        worker.capabilities().pool(Capability.TEXT_EMBEDDING).pending() > 0);
        await("/health/ready answers 200 before the signal")
                .atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(50))
                .until(() -> ready(httpPort).statusCode() == 200);

        coordinator.initiate("SIGTERM");

        HttpResponse<String> notReady = ready(httpPort);
        assertThat(notReady.statusCode())
                .as("/health/ready from the first signal, while the drain runs")
                .isEqualTo(503);
        JsonNode shutdown =
                new ObjectMapper().readTree(notReady.body()).path("checks").path("shutdown");
        assertThat(shutdown.path("ok").asBoolean()).isFalse();
        assertThat(shutdown.path("detail").asText()).isEqualTo("shutting down");
        TextEmbeddingRequest late = TextEmbeddingRequest.newBuilder()
                .setId("late")
                .setModel(Job.MODEL)
                .setTexts(List.of("submitted during the drain"))
                .setInputType(EmbeddingInputType.DOCUMENT)
                .build();
        PoolRejectedException rejected = catchThrowableOfType(
                () -> worker.capabilities()
                        .service(Capability.TEXT_EMBEDDING)
                        .handle(late, new RequestContext("test", 0)),
                PoolRejectedException.class);
        assertThat(rejected).as("a submission right after the signal").isNotNull();
        assertThat(rejected.error()).isInstanceOf(PoolError.ShuttingDown.class);
        assertThat(worker.intake().shutdownReport())
                .as("the drain is still running")
                .isNull();
    }

    private static HttpResponse<String> ready(int port) throws Exception {
        return HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
