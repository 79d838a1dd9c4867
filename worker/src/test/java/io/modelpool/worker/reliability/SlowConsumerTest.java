package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.observe.Scrape;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5: a slow consumer. The model is deployed to be slow (one single-thread session, one text per run, so a
 * request of four long texts takes far longer than the batching window) and the backlog takes many times
 * {@code max.poll.interval.ms} (set to 3 s here) to work off. If polling waited on inference the group would evict
 * the worker and rebalance; the intake keeps polling while paused instead, so the worker keeps its partitions for the
 * whole job, and backpressure keeps the work it holds (and with it the heap) bounded however long the backlog is.
 *
 * <p>Short form: 120 requests (480 long texts); full form: 2,000 requests.
 */
@Tag("reliability")
@Tag("reliability-long")
class SlowConsumerTest {

    private static final String SLOW = "classpath:process/minilm-slow.yaml";
    private static final int HIGH_WATER = 16;
    private static final int TEXTS_PER_REQUEST = 4;
    private static final Duration MAX_POLL_INTERVAL = Duration.ofSeconds(3);

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void aModelSlowerThanThePollIntervalCausesNoRebalanceAndBackpressureKeepsTheHeapFlat() throws Exception {
        int requests = Scale.pick(120, 2_000);
        int port = MetricsWatch.freePort();
        try (Job job = Job.create(Job.stack(), 2, false)) {
            List<String> texts = job.longTexts(64);
            for (int i = 0; i < requests; i++) {
                job.send(
                        "s-" + i,
                        List.of(
                                texts.get(i % 64),
                                texts.get((i + 1) % 64),
                                texts.get((i + 2) % 64),
                                texts.get((i + 3) % 64)));
            }
            job.flush();
            Map<String, String> overrides = new HashMap<>();
            overrides.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
            overrides.put(WorkerConfig.HIGH_WATER, Integer.toString(HIGH_WATER));
            overrides.put(WorkerConfig.LOW_WATER, "4");
            overrides.put(WorkerConfig.HTTP_PORT, Integer.toString(port));
            overrides.put(WorkerConfig.HTTP_BIND_ADDRESS, "127.0.0.1");
            overrides.put("kafka.consumer.max.poll.interval.ms", Long.toString(MAX_POLL_INTERVAL.toMillis()));
            long began = System.nanoTime();
            try (WorkerProcess worker =
                            WorkerProcess.start(job.prefix() + "-slow", job.workerSettings("slow", SLOW, overrides));
                    MetricsWatch heap = MetricsWatch.start(port, 250, MetricsWatch::heapUsed);
                    MetricsWatch queued = MetricsWatch.start(
                            port,
                            100,
                            s -> s.sum("modelpool_pool_queue_depth_tasks") + s.sum("modelpool_pool_in_flight_tasks"))) {
                worker.awaitAssignment(Duration.ofSeconds(120));
                await("every request answered")
                        .atMost(Duration.ofMinutes(25))
                        .pollInterval(Duration.ofMillis(500))
                        .until(job::allAnswered);
                Duration took = Duration.ofNanos(System.nanoTime() - began);
                Scrape end = Scrape.of("http://127.0.0.1:" + port);
                double rebalances = end.sum("kafka_consumer_coordinator_rebalance_total");
                double pauses = end.sum("modelpool_intake_pauses_total");

                assertThat(took)
                        .as("the job outlasts max.poll.interval.ms")
                        .isGreaterThan(MAX_POLL_INTERVAL.multipliedBy(2));
                assertThat(worker.logCount("Partitions revoked") + worker.logCount("Partitions lost"))
                        .as("partitions revoked or lost during the job")
                        .isZero();
                assertThat(worker.logCount("Partitions assigned"))
                        .as("one assignment, at the start")
                        .isOne();
                assertThat(rebalances)
                        .as("consumer rebalances after the first join")
                        .isLessThanOrEqualTo(1);
                assertThat(pauses).as("backpressure paused intake").isPositive();
                assertThat(queued.max())
                        .as("pool tasks (one per text) never pass the high-water mark's worth")
                        .isLessThanOrEqualTo(HIGH_WATER * TEXTS_PER_REQUEST);
                assertThat(heap.max()).as("heap peak stays well under -Xmx384m").isLessThan(300.0 * 1024 * 1024);
                assertThat(job.answers().values())
                        .allSatisfy(list -> assertThat(list)
                                .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                Figures.report(
                        "slow consumer",
                        "%d requests of 4 long texts in %.0f s with max.poll.interval.ms="
                                + "%d: %d partitions revoked or lost, rebalance-total %.0f, %.0f backpressure pauses, pool "
                                + "tasks peak %.0f (high-water %d requests of 4 texts); heap peak first half %.0f MiB, "
                                + "second half %.0f MiB (%d samples)",
                        requests,
                        took.toMillis() / 1000.0,
                        MAX_POLL_INTERVAL.toMillis(),
                        0,
                        rebalances,
                        pauses,
                        queued.max(),
                        HIGH_WATER,
                        heap.maxOfHalf(0) / (1024 * 1024),
                        heap.maxOfHalf(1) / (1024 * 1024),
                        heap.values().size());
            }
        }
    }
}
