package io.modelpool.worker.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A job answered by one worker instance that is killed with SIGKILL again and again and restarted each time under
 * the same identity (worker id, static group membership, and so the same transactional id), as an orchestrator
 * restarts a crashed pod. The kill points are random: before each kill the scenario waits until the committed
 * results reach a randomly drawn share of the job (drawn once, sorted, from a seeded generator), so kills land at
 * any phase of a transaction or commit cycle, and sometimes right after a restart.
 *
 * <p>What it hands back is what a {@code read_committed} reader saw once the last worker finished: per request, how
 * many results.
 */
final class SigkillScenario {

    static final String MANIFEST = "classpath:process/minilm.yaml";
    static final Duration START = Duration.ofSeconds(90);

    /** What the reader saw. */
    record Outcome(
            int requests,
            int kills,
            List<String> missing,
            long duplicates,
            int requestsAnsweredTwiceOrMore,
            long uncommittedCopies,
            Duration elapsed) {}

    private SigkillScenario() {}

    /**
     * Produces {@code requests} one-sentence requests on a 4-partition topic, starts a worker with
     * {@code processing.guarantee=guarantee}, kills and restarts it {@code kills} times, lets the last one finish and
     * stops it with SIGTERM.
     */
    static Outcome run(String name, String guarantee, int requests, int kills, long seed) {
        long started = System.nanoTime();
        Random random = new Random(seed);
        try (Job job = Job.create(4);
                CommittedResults committed = new CommittedResults(job)) {
            List<String> texts = job.shortTexts(997);
            for (int i = 0; i < requests; i++) {
                job.send(name + "-" + i, List.of(texts.get(i % texts.size())));
            }
            job.flush();
            Set<String> ids = job.landings().keySet();
            double[] killAt = new double[kills];
            for (int k = 0; k < kills; k++) {
                killAt[k] = 0.05 + 0.85 * random.nextDouble();
            }
            Arrays.sort(killAt);
            Map<String, String> settings = job.workerSettings(
                    name,
                    MANIFEST,
                    Map.of(
                            WorkerConfig.PROCESSING_GUARANTEE, guarantee,
                            WorkerConfig.GROUP_INSTANCE_ID, name,
                            WorkerConfig.JOBS_TRACKER_ENABLED, "false"));
            for (int k = 0; k < kills; k++) {
                int target = (int) (killAt[k] * requests);
                try (WorkerProcess worker = WorkerProcess.start(name + "-" + guarantee + "-" + k, settings)) {
                    worker.awaitAssignment(START);
                    await(name + " answers " + target + " requests before kill " + (k + 1))
                            .atMost(Duration.ofMinutes(3))
                            .pollInterval(Duration.ofMillis(50))
                            .until(() -> committed.answered(ids) >= target);
                    worker.sigkill();
                    assertThat(worker.awaitExit(Duration.ofSeconds(30)).status())
                            .as("killed by SIGKILL")
                            .isEqualTo(137);
                }
            }
            try (WorkerProcess last = WorkerProcess.start(name + "-" + guarantee + "-last", settings)) {
                last.awaitAssignment(START);
                await(name + " answers every request")
                        .atMost(Duration.ofMinutes(10))
                        .pollInterval(Duration.ofMillis(200))
                        .until(() -> committed.answered(ids) == ids.size());
                last.sigterm();
                assertThat(last.awaitExit(Duration.ofSeconds(30)).status())
                        .as("exit status after SIGTERM")
                        .isZero();
            }
            Map<String, Integer> counts = committed.counts();
            List<String> missing = new ArrayList<>();
            long duplicates = 0;
            int twice = 0;
            for (String id : ids) {
                int n = counts.getOrDefault(id, 0);
                if (n == 0) {
                    missing.add(id);
                }
                duplicates += Math.max(0, n - 1);
                if (n > 1) {
                    twice++;
                }
            }
            assertThat(counts.keySet())
                    .as("results only for requests of this job")
                    .isSubsetOf(ids);
            long everything =
                    job.answers().values().stream().mapToLong(List::size).sum();
            return new Outcome(
                    ids.size(),
                    kills,
                    missing,
                    duplicates,
                    twice,
                    everything - committed.total(),
                    Duration.ofNanos(System.nanoTime() - started));
        }
    }
}
