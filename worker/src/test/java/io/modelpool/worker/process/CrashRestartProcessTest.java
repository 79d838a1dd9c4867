package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.process.Job.Answer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker JVM killed with SIGKILL mid-job (nothing in it runs: no drain, no commit) and a new one started in its
 * place. At-least-once means every request is answered at least once; the duplicates are exactly the requests the
 * killed worker answered after its last commit, which the new worker answers again.
 */
class CrashRestartProcessTest {

    private static final Logger log = LoggerFactory.getLogger(CrashRestartProcessTest.class);

    @Test
    void afterASigkillMidJobARestartedWorkerAnswersEveryRequestAndOnlyUncommittedOnesTwice() {
        try (Job job = Job.create(4);
                WorkerProcess crashing = WorkerProcess.start(
                        "crash-killed",
                        job.workerSettings(
                                "killed",
                                GracefulShutdownProcessTest.FAST,
                                Map.of(WorkerConfig.COMMIT_INTERVAL_MS, "500")))) {
            crashing.awaitAssignment(GracefulShutdownProcessTest.START);
            int n = 300;
            List<String> texts = job.shortTexts(2 * n);
            for (int i = 0; i < n; i++) {
                job.send("r-" + i, texts.subList(2 * i, 2 * i + 2));
            }
            job.flush();
            await().atMost(Duration.ofMinutes(1))
                    .pollInterval(Duration.ofMillis(20))
                    .until(() -> job.answeredCount() >= 60);

            crashing.sigkill();
            assertThat(crashing.awaitExit(Duration.ofSeconds(30)).status())
                    .as("killed by SIGKILL")
                    .isEqualTo(137);
            Map<TopicPartition, Long> committedAtCrash = job.committed();
            int answeredAtCrash = job.answeredCount();
            assertThat(answeredAtCrash).as("the job was killed midway").isLessThan(n);
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();

            try (WorkerProcess restarted = WorkerProcess.start(
                    "crash-restarted", job.workerSettings("restarted", GracefulShutdownProcessTest.FAST, Map.of()))) {
                restarted.awaitAssignment(GracefulShutdownProcessTest.START);
                await().atMost(Duration.ofMinutes(2))
                        .pollInterval(Duration.ofMillis(100))
                        .until(job::allAnswered);
                Map<String, List<Answer>> answers = job.answers();
                assertThat(answers.values())
                        .allSatisfy(list -> assertThat(list)
                                .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
                List<String> duplicated = answers.entrySet().stream()
                        .filter(e -> e.getValue().size() > 1)
                        .map(Map.Entry::getKey)
                        .sorted()
                        .toList();
                log.info(
                        "SIGKILL after {} of {} requests answered: {} answered twice (committed at the crash: {})",
                        answeredAtCrash,
                        n,
                        duplicated.size(),
                        committedAtCrash);
                assertThat(duplicated)
                        .as("only requests at or after the committed offsets of the crash are redone")
                        .isSubsetOf(job.atOrAfterCommitted(committedAtCrash));
                assertThat(answers.values())
                        .as("nobody answers a request three times")
                        .allSatisfy(list -> assertThat(list).hasSizeLessThanOrEqualTo(2));
                restarted.sigterm();
                assertThat(restarted.awaitExit(Duration.ofSeconds(30)).status()).isZero();
            }
        }
    }
}
