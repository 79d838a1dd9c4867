package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
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
 * Scenario 1: a worker JVM is killed with SIGKILL again and again while it works through a job, and started again
 * each time. Nothing in a killed JVM runs (no drain, no commit), so what it answered after its last commit is answered
 * again by its successor: at-least-once counts those duplicates, and no request may go unanswered.
 *
 * <p>The worker keeps one static member id ({@code group.instance.id}) across its incarnations, so each successor
 * takes over the partitions at once instead of waiting out the killed member's session timeout.
 *
 * <p>With {@code processing.guarantee=exactly_once} the same loop must leave a {@code read_committed} reader with
 * exactly one result per request: what a killed worker had not committed was never visible to it.
 *
 * <p>Short form: 3 kills in 2,000 requests; full form: 20 kills in 50,000.
 */
@Tag("reliability")
class KillLoopTest {

    static final String MANIFEST = "classpath:process/minilm.yaml";
    private static final Duration START = Duration.ofSeconds(120);

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void atLeastOnceAnswersEveryRequestThroughRepeatedSigkillsAndCountsTheDuplicates() {
        int requests = Scale.pick(2_000, 50_000);
        int kills = Scale.pick(3, 20);
        try (Job job = Job.create(Job.stack(), 6, false)) {
            Map<String, List<Job.Answer>> answers = killLoop(job, WorkerConfig.AT_LEAST_ONCE, requests, kills);
            assertThat(answers.keySet())
                    .as("every request is answered")
                    .containsAll(job.landings().keySet());
            assertThat(answers.values())
                    .allSatisfy(list -> assertThat(list)
                            .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
            long duplicates =
                    answers.values().stream().mapToLong(l -> l.size() - 1).sum();
            long answeredMoreThanOnce =
                    answers.values().stream().filter(l -> l.size() > 1).count();
            Figures.report(
                    "kill-9 loop (at_least_once)",
                    "%d requests, %d SIGKILLs: 0 unanswered, %d duplicate "
                            + "results (%d requests answered more than once, %.2f%%)",
                    requests,
                    kills,
                    duplicates,
                    answeredMoreThanOnce,
                    100.0 * answeredMoreThanOnce / requests);
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void exactlyOnceReadCommittedReadersSeeEveryResultOnceThroughRepeatedSigkills() {
        int requests = Scale.pick(2_000, 50_000);
        int kills = Scale.pick(3, 20);
        try (Job job = Job.create(Job.stack(), 6, true)) {
            Map<String, List<Job.Answer>> answers = killLoop(job, WorkerConfig.EXACTLY_ONCE, requests, kills);
            assertThat(answers.keySet())
                    .as("every request is answered")
                    .containsAll(job.landings().keySet());
            assertThat(answers.values())
                    .allSatisfy(list -> assertThat(list)
                            .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
            long duplicates =
                    answers.values().stream().mapToLong(l -> l.size() - 1).sum();
            assertThat(duplicates).as("duplicates a read_committed reader sees").isZero();
            Figures.report(
                    "kill-9 loop (exactly_once)",
                    "%d requests, %d SIGKILLs: 0 unanswered, %d duplicate " + "results for a read_committed reader",
                    requests,
                    kills,
                    duplicates);
        }
    }

    /**
     * Runs the job through {@code kills} SIGKILLs, each after a further share of the requests is answered, then lets
     * a last worker finish and stop with SIGTERM. Returns every answer read back.
     */
    static Map<String, List<Job.Answer>> killLoop(Job job, String guarantee, int requests, int kills) {
        List<String> texts = job.shortTexts(997);
        for (int i = 0; i < requests; i++) {
            job.send("k-" + i, List.of(texts.get(i % texts.size())));
        }
        job.flush();
        for (int kill = 1; kill <= kills; kill++) {
            int target = (int) ((long) requests * kill / (kills + 1));
            try (WorkerProcess worker = start(job, guarantee, "kill-" + kill)) {
                worker.awaitAssignment(START);
                await("answered " + target + " before kill " + kill)
                        .atMost(Duration.ofMinutes(10))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> job.answeredCount() >= target);
                worker.sigkill();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status())
                        .as("killed by SIGKILL")
                        .isEqualTo(137);
            }
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
        }
        try (WorkerProcess last = start(job, guarantee, "kill-last")) {
            last.awaitAssignment(START);
            await("every request answered")
                    .atMost(Duration.ofMinutes(15))
                    .pollInterval(Duration.ofMillis(200))
                    .until(job::allAnswered);
            last.sigterm();
            assertThat(last.awaitExit(Duration.ofSeconds(30)).status())
                    .as("the last worker stops cleanly")
                    .isZero();
        }
        job.assertNoCommittedOffsetPassesAnUnansweredRequest();
        return job.answers();
    }

    private static WorkerProcess start(Job job, String guarantee, String name) {
        Map<String, String> overrides = new HashMap<>();
        overrides.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        overrides.put(WorkerConfig.GROUP_INSTANCE_ID, "kill-loop");
        overrides.put("kafka.consumer.session.timeout.ms", "10000");
        overrides.put(WorkerConfig.PROCESSING_GUARANTEE, guarantee);
        // One worker id for every incarnation, as a restarted pod keeps its name: with exactly_once it names the
        // transactional producer, so a successor fences its killed predecessor and aborts its open transaction.
        return WorkerProcess.start(job.prefix() + "-" + name, job.workerSettings("kill-loop", MANIFEST, overrides));
    }
}
