package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A horizontally scaled fleet: three worker JVMs in one consumer group on a 12-partition request topic, while one
 * worker after another is stopped with SIGTERM and started again every few seconds, as a rolling restart does.
 * Every request is answered and nothing is committed past an unanswered request.
 *
 * <p>A worker is restarted each time another fifth of the job has been answered (four restarts), so the restarts
 * happen while work is in flight however fast the machine is. The default run answers 12,000 requests; the issue's
 * 50,000 run with {@code -Pfleet} (or {@code -Dmodelpool.fleet.requests=N}):
 * {@code ./mvnw -pl worker -am verify -Pfleet -Dtest=FleetProcessTest -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FleetProcessTest {

    private static final String MANIFEST = "classpath:process/minilm.yaml";
    private static final int RESTARTS = 4;

    @Test
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aFleetOfThreeAnswersEveryRequestWhileItsWorkersAreRestartedOneAfterAnother() throws Exception {
        int requests = Integer.getInteger("modelpool.fleet.requests", 12_000);
        try (Job job = Job.create(12)) {
            List<String> texts = job.shortTexts(997);
            for (int i = 0; i < requests; i++) {
                job.send("f-" + i, List.of(texts.get(i % texts.size())));
            }
            job.flush();

            List<WorkerProcess> fleet = new ArrayList<>();
            int[] generation = new int[3];
            for (int w = 0; w < 3; w++) {
                fleet.add(start(job, w, 0));
            }
            for (WorkerProcess w : fleet) {
                w.awaitAssignment(Duration.ofSeconds(90));
            }
            int[] restarts = {0};
            try {
                await().atMost(Duration.ofMinutes(12))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> {
                            int answered = job.answeredCount();
                            if (restarts[0] < RESTARTS && answered >= (restarts[0] + 1) * requests / (RESTARTS + 1)) {
                                int next = restarts[0] % fleet.size();
                                WorkerProcess stopping = fleet.get(next);
                                stopping.sigterm();
                                WorkerProcess.Exit exit = stopping.awaitExit(Duration.ofSeconds(12));
                                assertThat(exit.status())
                                        .as("exit status of %s", stopping.name())
                                        .isZero();
                                // A rolling restart waits for the replacement before stopping the next worker.
                                fleet.set(
                                        next,
                                        start(job, next, ++generation[next]).awaitAssignment(Duration.ofSeconds(90)));
                                restarts[0]++;
                            }
                            return restarts[0] == RESTARTS && job.allAnswered();
                        });
            } finally {
                for (WorkerProcess w : fleet) {
                    if (w.isAlive()) {
                        w.sigterm();
                        w.awaitExit(Duration.ofSeconds(12));
                    }
                    w.close();
                }
            }
            assertThat(restarts[0])
                    .as("the fleet was restarted while it worked")
                    .isEqualTo(RESTARTS);
            Map<String, List<Job.Answer>> answers = job.answers();
            assertThat(answers).hasSize(requests);
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
            long duplicates =
                    answers.values().stream().mapToLong(a -> a.size() - 1).sum();
            System.out.printf(
                    "Fleet: %d requests answered by 3 workers through %d rolling restarts; %d duplicate "
                            + "results (at-least-once), 0 missing%n",
                    requests, restarts[0], duplicates);
        }
    }

    private static WorkerProcess start(Job job, int worker, int generation) {
        String id = "fleet-" + worker;
        return WorkerProcess.start(
                id + "-g" + generation, job.workerSettings(id, MANIFEST, Map.of("jobs.tracker.enabled", "false")));
    }
}
