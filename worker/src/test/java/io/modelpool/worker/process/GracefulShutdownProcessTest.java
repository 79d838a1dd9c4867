package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.observe.Scrape;
import io.modelpool.worker.process.Job.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;

/**
 * The shutdown sequence of DESIGN.md, observed from outside: each worker runs in its own JVM, as an operator or
 * Kubernetes runs it, and is stopped with real signals while it works through a real broker, the devstack schema
 * registry and the real MiniLM model. What the tests hold the worker to is what Kafka shows afterwards: exit status,
 * time to exit, results on the result topic and the group's committed offsets.
 */
class GracefulShutdownProcessTest {

    /** The real MiniLM as the shipped manifest serves it (one model only, so a worker JVM starts quickly). */
    static final String FAST = "classpath:process/minilm.yaml";
    /** The real MiniLM on one single-thread session: a request of a hundred long texts takes seconds. */
    static final String SLOW = "classpath:process/minilm-slow.yaml";

    static final Duration START = Duration.ofSeconds(90);

    private final List<WorkerProcess> processes = new ArrayList<>();
    private String testName;

    @org.junit.jupiter.api.BeforeEach
    void name(TestInfo info) {
        testName = info.getTestMethod().map(java.lang.reflect.Method::getName).orElse("test");
    }

    @AfterEach
    void killLeftovers() {
        processes.forEach(WorkerProcess::close);
    }

    private WorkerProcess start(Job job, String worker, String manifest, Map<String, String> overrides) {
        WorkerProcess p = WorkerProcess.start(
                testName + "-" + worker + "-" + UUID.randomUUID().toString().substring(0, 4),
                job.workerSettings(worker, manifest, overrides));
        processes.add(p);
        return p;
    }

    /** Waits until the worker consumes and its signal handlers are installed. */
    private static WorkerProcess ready(WorkerProcess p) {
        return p.awaitAssignment(START).awaitLog("Signal handlers installed", START);
    }

    /** The high-water mark of {@link #boundedInFlight()}. */
    private static final int HIGH_WATER = 64;

    /** The interactive reserve of {@link #boundedInFlight()}: interactive records may go that far past high-water. */
    private static final int RESERVE = 64;

    /** The most records these jobs (interactive requests) may have in flight. */
    private static final int MOST_IN_FLIGHT = HIGH_WATER + RESERVE;

    /** Backpressure that keeps a bounded amount of work in flight, so a 5 s drain always has time to finish it. */
    private static Map<String, String> boundedInFlight() {
        return Map.of(
                WorkerConfig.HIGH_WATER,
                String.valueOf(HIGH_WATER),
                WorkerConfig.LOW_WATER,
                "16",
                WorkerConfig.INTERACTIVE_RESERVE,
                String.valueOf(RESERVE));
    }

    @Test
    void sigtermMidJobDrainsInFlightWorkExitsZeroWithinTheDrainBoundAndARestartAnswersTheRestExactlyOnce() {
        try (Job job = Job.create(4)) {
            WorkerProcess first = ready(start(job, "first", FAST, boundedInFlight()));
            List<String> texts = job.shortTexts(1200);
            for (int i = 0; i < 600; i++) {
                job.send("r-" + i, texts.subList(2 * i, 2 * i + 2));
            }
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.answeredCount() >= 40);

            first.sigterm();
            WorkerProcess.Exit exit = first.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).as("exit status after SIGTERM").isZero();
            assertThat(first.log())
                    .as("the drain finished before its timeout")
                    .doesNotContain("Drain timed out")
                    .contains("Graceful shutdown complete (");
            assertThat(first.inFlightAtShutdown())
                    .as("requests in flight at the signal, at most the high-water mark and the interactive reserve")
                    .isBetween(1, MOST_IN_FLIGHT);
            assertThat(first.drainedCount()).as("all of them drained").isEqualTo(first.inFlightAtShutdown());
            assertThat(job.answeredCount()).as("the job was stopped midway").isLessThan(600);
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
            Map<TopicPartition, Long> committedByFirst = job.committed();
            List<Job.Landing> untakenBehindAnswered = untakenBehindAnswered(job, committedByFirst);

            WorkerProcess second = ready(start(job, "second", FAST, Map.of()));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(job::allAnswered);
            assertThat(job.answers().values())
                    .as(
                            "a clean drain commits everything it answered: one result each (first committed %s; answered"
                                    + " by it at or after that: %s)",
                            committedByFirst, untakenBehindAnswered)
                    .allSatisfy(list -> assertThat(list)
                            .hasSize(1)
                            .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
            assertThat(job.answers().values().stream()
                            .map(l -> l.get(0).workerId())
                            .distinct())
                    .containsExactlyInAnyOrder("first", "second");
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(job.atOrAfterCommitted(job.committed()))
                            .as("requests not yet committed")
                            .isEmpty());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
            second.sigterm();
            assertThat(second.awaitExit(Duration.ofSeconds(30)).status()).isZero();
        }
    }

    /** Requests answered by the first worker at or after its partition's committed offset: answered twice later. */
    private static List<Job.Landing> untakenBehindAnswered(Job job, Map<TopicPartition, Long> committed) {
        List<Job.Landing> found = new ArrayList<>();
        for (String id : job.atOrAfterCommitted(committed)) {
            if (job.answers().containsKey(id)) {
                found.add(job.landings().get(id));
            }
        }
        return found;
    }

    @Test
    void sigtermWhileIdleExitsZeroWithNothingToDrain() {
        try (Job job = Job.create(2)) {
            WorkerProcess worker = ready(start(job, "idle", FAST, Map.of()));
            job.send("warm-up", job.shortTexts(1));
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(job::allAnswered);
            // A result can be read before the worker has its acknowledgement; idle means the offset is committed too
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(50))
                    .until(() -> job.atOrAfterCommitted(job.committed()).isEmpty());

            worker.sigterm();
            WorkerProcess.Exit exit = worker.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).isZero();
            assertThat(worker.log())
                    .contains("Graceful shutdown complete (")
                    .contains("0 requests drained)")
                    .doesNotContain("Drain timed out");
        }
    }

    @Test
    void aWorkerStartedWithSigintIgnoredSaysSoAndStillStopsGracefullyOnSigterm() {
        try (Job job = Job.create(1)) {
            WorkerProcess worker = WorkerProcess.start(
                    testName + "-" + UUID.randomUUID().toString().substring(0, 4),
                    job.workerSettings("background-job", FAST, Map.of()),
                    true);
            processes.add(worker);
            ready(worker);
            assertThat(worker.log()).contains("SIGINT was ignored by the process that started this JVM");

            worker.sigterm();

            assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            assertThat(worker.log()).contains("Graceful shutdown complete (");
        }
    }

    @Test
    void aJobTrackerStuckInARebalanceDoesNotHoldAnIdleWorkersExit() {
        try (Job job = Job.create(1)) {
            // All topics with one partition, so the job tracker (Kafka Streams, on by default) can run.
            Map<String, String> tracked =
                    Map.of(WorkerConfig.CREATE_TOPICS, "true", WorkerConfig.TOPIC_PARTITIONS, "1");
            WorkerProcess first = ready(start(job, "first", FAST, tracked));
            first.awaitLog("-> RUNNING", START);
            first.sigterm();
            assertThat(first.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            // The first tracker's member stays in the streams group until its session times out, so the second
            // worker's tracker waits in a rebalance for that long and cannot close quickly.
            WorkerProcess second = ready(start(job, "second", FAST, tracked));

            second.sigterm();
            WorkerProcess.Exit exit = second.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).isZero();
            assertThat(second.log()).as("the tracker was still rebalancing").doesNotContain("-> RUNNING");
            assertThat(second.reportedShutdownSeconds())
                    .as("the worker's own account, from the signal: the tracker "
                            + "gets 0.5 s from the signal, not its own close timeout")
                    .isLessThan(2.0);
        }
    }

    @Test
    void aDrainThatCannotFinishGivesUpAtTheTimeoutLogsTheAbandonedCountAndARestartAnswersThem() throws Exception {
        Duration drain = Duration.ofMillis(500);
        int port = LongBatchShutdownProcessTest.freePort();
        try (Job job = Job.create(1)) {
            WorkerProcess slow = ready(start(
                    job,
                    "slow",
                    SLOW,
                    Map.of(
                            WorkerConfig.DRAIN_TIMEOUT_MS,
                            Long.toString(drain.toMillis()),
                            WorkerConfig.HTTP_PORT,
                            Integer.toString(port))));
            job.send("canary", job.shortTexts(1));
            for (int i = 0; i < 3; i++) {
                job.send("heavy-" + i, job.longTexts(100));
            }
            job.flush();
            // Admission by work lets heavy-0 in once the canary's batch taught the model its rate: wait until it is in
            // the pool (each heavy request needs seconds), so the signal finds it computing.
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> job.answers().containsKey("canary"));
            await("heavy-0 is in the pool")
                    .atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> Scrape.of("http://127.0.0.1:" + port).sum("modelpool_pool_in_flight_tasks") > 0);

            slow.sigterm();
            WorkerProcess.Exit exit = slow.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).as("an abandoning drain still exits 0").isZero();
            assertThat(slow.log()).contains("Drain timed out after " + drain.toMillis() + " ms");
            int inFlight = slow.inFlightAtShutdown();
            assertThat(inFlight).as("heavy requests in the pool at the signal").isBetween(1, 3);
            assertThat(slow.abandonedCount())
                    .as("abandoned count in the drain-timeout warning")
                    .isEqualTo(inFlight);
            assertThat(slow.log())
                    .contains("Shutdown complete (")
                    .contains("0 requests drained, " + inFlight + " abandoned: not committed");
            Map<String, List<Answer>> afterStop = job.answers();
            assertThat(afterStop)
                    .as("abandoned work publishes nothing, not even a SHUTTING_DOWN error")
                    .containsOnlyKeys("canary");
            assertThat(job.committed())
                    .as("the commit stops before the first abandoned request")
                    .containsEntry(
                            job.landings().get("heavy-0").partition(),
                            job.landings().get("heavy-0").offset());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();

            WorkerProcess restarted = ready(start(job, "restarted", FAST, Map.of()));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(job::allAnswered);
            for (int i = 0; i < 3; i++) {
                assertThat(job.answers().get("heavy-" + i)).singleElement().satisfies(a -> {
                    assertThat(a.status()).isEqualTo(ResultStatus.OK);
                    assertThat(a.embeddings()).isEqualTo(100);
                    assertThat(a.workerId()).isEqualTo("restarted");
                });
            }
            restarted.sigterm();
            assertThat(restarted.awaitExit(Duration.ofSeconds(30)).status()).isZero();
        }
    }

    @Test
    void aSecondSigintDuringTheDrainExitsAtOnceWithStatusOne() {
        try (Job job = Job.create(1)) {
            WorkerProcess worker =
                    ready(start(job, "interrupted", SLOW, Map.of(WorkerConfig.DRAIN_TIMEOUT_MS, "60000")));
            job.send("canary", job.shortTexts(1));
            job.send("heavy", job.longTexts(100));
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> job.answers().containsKey("canary"));

            worker.sigint();
            worker.awaitLog("Shutdown requested (SIGINT)", Duration.ofSeconds(10));
            worker.sigint();
            WorkerProcess.Exit exit = worker.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).as("exit status after a second SIGINT").isEqualTo(1);
            assertThat(worker.log())
                    .contains("Second shutdown request (SIGINT) during the drain: exiting now")
                    .doesNotContain("Graceful shutdown complete");
            assertThat(job.answers())
                    .as("the forced exit published nothing for the unfinished request")
                    .doesNotContainKey("heavy");
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
        }
    }

    @Test
    void whenOneOfTwoWorkersGetsSigtermTheOtherTakesOverItsPartitionsAndEveryRequestIsAnsweredOnce() {
        try (Job job = Job.create(4)) {
            WorkerProcess leaving = ready(start(job, "leaving", FAST, boundedInFlight()));
            WorkerProcess staying = ready(start(job, "staying", FAST, boundedInFlight()));
            List<String> texts = job.shortTexts(1600);
            for (int i = 0; i < 800; i++) {
                job.send("r-" + i, texts.subList(2 * i, 2 * i + 2));
            }
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.answers().values().stream()
                                            .map(l -> l.get(0).workerId())
                                            .distinct()
                                            .count()
                                    == 2
                            && job.answeredCount() >= 100);

            leaving.sigterm();
            WorkerProcess.Exit exit = leaving.awaitExit(Duration.ofSeconds(30));
            assertThat(exit.status()).isZero();
            assertThat(leaving.inFlightAtShutdown())
                    .as("in flight at the signal, at most the high-water mark and the interactive reserve")
                    .isBetween(1, MOST_IN_FLIGHT);
            assertThat(leaving.drainedCount()).as("all of them drained").isEqualTo(leaving.inFlightAtShutdown());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();

            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(job::allAnswered);
            assertThat(staying.isAlive()).isTrue();
            assertThat(job.answers().values())
                    .allSatisfy(list -> assertThat(list)
                            .hasSize(1)
                            .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(job.committed())
                            .as("the staying worker commits every partition, the leaving worker's included")
                            .hasSize(4));
            await().atMost(Duration.ofSeconds(30))
                    .untilAsserted(() -> assertThat(job.atOrAfterCommitted(job.committed()))
                            .as("requests not yet committed")
                            .isEmpty());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
            staying.sigterm();
            assertThat(staying.awaitExit(Duration.ofSeconds(30)).status()).isZero();
        }
    }

    @Test
    void requestsSubmittedDuringTheDrainAreNotTakenByTheStoppingWorkerAndAreAnsweredAfterRestart() {
        Duration drain = Duration.ofMillis(2000);
        try (Job job = Job.create(1)) {
            WorkerProcess stopping = ready(start(
                    job, "stopping", SLOW, Map.of(WorkerConfig.DRAIN_TIMEOUT_MS, Long.toString(drain.toMillis()))));
            job.send("canary", job.shortTexts(1));
            job.send("heavy", job.longTexts(150));
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(10))
                    .until(() -> job.answers().containsKey("canary"));

            stopping.sigterm();
            stopping.awaitLog("Shutdown: draining", Duration.ofSeconds(10));
            List<String> late = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                late.add("late-" + i);
                job.send("late-" + i, job.shortTexts(1));
            }
            job.flush();
            assertThat(stopping.isAlive())
                    .as("the late requests arrived during the drain")
                    .isTrue();
            WorkerProcess.Exit exit = stopping.awaitExit(Duration.ofSeconds(30));

            assertThat(exit.status()).isZero();
            assertThat(job.answers())
                    .as("the stopping worker answered nothing submitted during its drain")
                    .doesNotContainKeys(late.toArray(String[]::new));
            TopicPartition p0 = job.landings().get("late-0").partition();
            assertThat(job.committed().get(p0))
                    .as("committed position of %s", p0)
                    .isLessThanOrEqualTo(job.landings().get("late-0").offset());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();

            WorkerProcess restarted = ready(start(job, "restarted", FAST, Map.of()));
            await().atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(100))
                    .until(job::allAnswered);
            assertThat(late)
                    .allSatisfy(id -> assertThat(job.answers().get(id))
                            .singleElement()
                            .satisfies(a -> assertThat(a.workerId()).isEqualTo("restarted")));
            restarted.sigterm();
            assertThat(restarted.awaitExit(Duration.ofSeconds(30)).status()).isZero();
        }
    }
}
