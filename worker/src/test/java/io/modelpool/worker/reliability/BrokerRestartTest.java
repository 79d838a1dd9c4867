package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 2: the broker stops mid-job (a controlled shutdown, as a broker restart or upgrade does it) and comes back
 * on the same port with the same data. The worker rides it out (its clients retry, its intake pauses while results
 * cannot be published) and finishes the job with nothing lost.
 *
 * <p>Short form: 2,000 requests, broker down 5 s; full form: 20,000 requests, down 20 s.
 */
@Tag("reliability")
class BrokerRestartTest {

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES)
    void aWorkerRidesOutABrokerRestartMidJobAndAnswersEveryRequest() {
        int requests = Scale.pick(2_000, 20_000);
        Duration down = Scale.pick(Duration.ofSeconds(5), Duration.ofSeconds(20));
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral());
                Job job = Job.create(stack, 4, false)) {
            List<String> texts = job.shortTexts(997);
            for (int i = 0; i < requests; i++) {
                job.send("b-" + i, List.of(texts.get(i % texts.size())));
            }
            job.flush();
            try (WorkerProcess worker = WorkerProcess.start(
                    job.prefix() + "-broker-restart",
                    job.workerSettings(
                            "broker-restart",
                            KillLoopTest.MANIFEST,
                            Map.of(WorkerConfig.JOBS_TRACKER_ENABLED, "false")))) {
                worker.awaitAssignment(Duration.ofSeconds(120));
                await("a third answered")
                        .atMost(Duration.ofMinutes(5))
                        .pollInterval(Duration.ofMillis(50))
                        .until(() -> job.answeredCount() >= requests / 3);
                int answeredBefore = job.answeredCount();

                long stopped = System.nanoTime();
                stack.broker().stop();
                await("the worker stays up while the broker is down")
                        .during(down)
                        .atMost(down.plusSeconds(10))
                        .pollInterval(Duration.ofMillis(200))
                        .until(worker::isAlive);
                Duration outage = Duration.ofNanos(System.nanoTime() - stopped);
                stack.broker().start();
                long restarted = System.nanoTime();

                await("every request answered after the restart")
                        .atMost(Duration.ofMinutes(10))
                        .pollInterval(Duration.ofMillis(250))
                        .ignoreExceptions()
                        .until(job::allAnswered);
                Duration recovery = Duration.ofNanos(System.nanoTime() - restarted);
                Map<String, List<Job.Answer>> answers = job.answers();
                assertThat(answers.keySet()).containsAll(job.landings().keySet());
                assertThat(answers.values())
                        .allSatisfy(list -> assertThat(list)
                                .allSatisfy(a -> assertThat(a.status()).isEqualTo(ResultStatus.OK)));
                assertThat(RawRecords.count(stack, job.deadLetterTopic()))
                        .as("dead letters")
                        .isZero();
                job.assertNoCommittedOffsetPassesAnUnansweredRequest();
                assertThat(worker.isAlive()).isTrue();
                worker.sigterm();
                assertThat(worker.awaitExit(Duration.ofSeconds(30)).status()).isZero();
                long duplicates =
                        answers.values().stream().mapToLong(l -> l.size() - 1).sum();
                Figures.report(
                        "broker restart",
                        "%d requests, broker down %.1f s after %d were answered: 0 lost, "
                                + "0 dead-lettered, %d duplicates; all answered %.1f s after the broker came back",
                        requests,
                        outage.toMillis() / 1000.0,
                        answeredBefore,
                        duplicates,
                        recovery.toMillis() / 1000.0);
            }
        }
    }
}
