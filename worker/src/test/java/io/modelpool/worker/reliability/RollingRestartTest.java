package io.modelpool.worker.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.observe.Scrape;
import io.modelpool.worker.process.Job;
import io.modelpool.worker.process.WorkerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.common.GroupState;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 6: a rolling restart of a three-worker fleet under load, with static membership: each worker keeps its
 * {@code group.instance.id} across the restart and does not leave the group on close
 * ({@code group.leave-on-close=false}, a 60 s session timeout), so its replacement takes its partitions back within
 * the session timeout without a rebalance of the others. Nothing may be lost, and the rebalances the fleet sees stay
 * few. The same rolling restart with dynamic membership (each worker leaves the group on close) is run for
 * comparison.
 *
 * <p>Rebalances are counted by the consumers themselves ({@code kafka_consumer_coordinator_rebalance_total} on each
 * worker's /metrics, read once the fleet has formed, just before a worker stops, and at the end). The formation
 * of the group and each replacement's own join are not counted; anything beyond is a rebalance a restart caused.
 * Static membership must see at most one per restart; dynamic membership at least two per restart (one at the stop,
 * one at the start), so the two runs' counts cannot overlap: the comparison is in the bounds.
 *
 * <p>Short form: 8,000 requests, at least 3 restarts; full form: 50,000 requests, at least 9.
 */
@Tag("reliability")
@Tag("reliability-long")
class RollingRestartTest {

    private static final Duration RESTART_EVERY = Duration.ofSeconds(3);

    /** What one rolling restart did. */
    private record Roll(
            int requests,
            int restarts,
            List<Integer> answeredAtRestarts,
            List<Double> rebalances,
            long duplicates,
            List<Long> secondsToReplace) {
        double rebalancesInAll() {
            return rebalances.stream().mapToDouble(Double::doubleValue).sum();
        }
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void aRollingRestartWithStaticMembershipLosesNothingAndRebalancesLittle() throws Exception {
        Roll roll = roll(true);
        assertThat(roll.rebalancesInAll())
                .as("rebalances the members saw beyond formation and their own joins (%s)", roll.rebalances())
                .isLessThanOrEqualTo(roll.restarts());
        Figures.report(
                "rolling restart (static membership)",
                "%d requests, 3 workers, %d rolling SIGTERM restarts "
                        + "(answered when each began: %s; seconds from SIGTERM to a stable group: %s): 0 lost, %d "
                        + "duplicates; rebalances seen per incarnation beyond formation and its own join %s, %.0f in all",
                roll.requests(),
                roll.restarts(),
                roll.answeredAtRestarts(),
                roll.secondsToReplace(),
                roll.duplicates(),
                roll.rebalances(),
                roll.rebalancesInAll());
    }

    /** The comparison: the same rolling restart with dynamic membership, each worker leaving the group on close. */
    @Test
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void withDynamicMembershipTheSameRollingRestartLosesNothingButRebalancesOnEveryStopAndStart() throws Exception {
        Roll roll = roll(false);
        // each stop (the worker leaves) and each start (its replacement joins) rebalances the other two members, so
        // the others count about four per restart; at least two per restart is what the name claims
        assertThat(roll.rebalancesInAll())
                .as("rebalances the members saw beyond formation and their own joins (%s)", roll.rebalances())
                .isGreaterThanOrEqualTo(2.0 * roll.restarts());
        Figures.report(
                "rolling restart (dynamic membership)",
                "%d requests, 3 workers, %d rolling SIGTERM restarts "
                        + "(answered when each began: %s; seconds from SIGTERM to a stable group: %s): 0 lost, %d "
                        + "duplicates; rebalances seen per incarnation beyond formation and its own join %s, %.0f in all",
                roll.requests(),
                roll.restarts(),
                roll.answeredAtRestarts(),
                roll.secondsToReplace(),
                roll.duplicates(),
                roll.rebalances(),
                roll.rebalancesInAll());
    }

    private static Roll roll(boolean staticMembership) throws Exception {
        int requests = Scale.pick(8_000, 50_000);
        int minRestarts = Scale.pick(3, 9);
        try (Job job = Job.create(Job.stack(), 12, false)) {
            List<String> texts = job.shortTexts(997);
            for (int i = 0; i < requests; i++) {
                job.send("r-" + i, List.of(texts.get(i % texts.size())));
            }
            job.flush();

            int[] ports = {MetricsWatch.freePort(), MetricsWatch.freePort(), MetricsWatch.freePort()};
            List<WorkerProcess> fleet = new ArrayList<>();
            int[] generation = new int[3];
            List<Double> rebalancesPerIncarnation = new ArrayList<>();
            for (int w = 0; w < 3; w++) {
                fleet.add(start(job, w, 0, ports[w], staticMembership));
            }
            for (WorkerProcess w : fleet) {
                w.awaitAssignment(Duration.ofSeconds(120));
            }
            awaitStable(job, 3);
            // What each running incarnation had counted when the fleet became stable (formation rebalances).
            double[] baseline = new double[3];
            for (int w = 0; w < 3; w++) {
                baseline[w] = rebalances(ports[w]);
            }
            int[] restarts = {0};
            List<Integer> answeredAtRestarts = new ArrayList<>();
            List<Long> secondsToReplace = new ArrayList<>();
            long[] nextRestart = {System.nanoTime() + RESTART_EVERY.toNanos()};
            try {
                await("all answered through the rolling restarts")
                        .atMost(Duration.ofMinutes(25))
                        .pollInterval(Duration.ofMillis(250))
                        .until(() -> {
                            if (restarts[0] < minRestarts && System.nanoTime() >= nextRestart[0]) {
                                int next = restarts[0] % fleet.size();
                                WorkerProcess stopping = fleet.get(next);
                                rebalancesPerIncarnation.add(rebalances(ports[next]) - baseline[next]);
                                long stopAt = System.nanoTime();
                                stopping.sigterm();
                                assertThat(stopping.awaitExit(Duration.ofSeconds(15))
                                                .status())
                                        .as("exit status of %s", stopping.name())
                                        .isZero();
                                answeredAtRestarts.add(job.answeredCount());
                                fleet.set(
                                        next,
                                        start(job, next, ++generation[next], ports[next], staticMembership)
                                                .awaitAssignment(Duration.ofSeconds(120)));
                                // As an operator's rollout waits for the replacement to be ready before the next.
                                awaitStable(job, 3);
                                secondsToReplace.add(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - stopAt));
                                baseline[next] = 1; // the replacement's own join
                                restarts[0]++;
                                nextRestart[0] = System.nanoTime() + RESTART_EVERY.toNanos();
                            }
                            return restarts[0] >= minRestarts && job.allAnswered();
                        });
                for (int w = 0; w < 3; w++) {
                    rebalancesPerIncarnation.add(rebalances(ports[w]) - baseline[w]);
                }
            } finally {
                for (WorkerProcess w : fleet) {
                    if (w.isAlive()) {
                        w.sigterm();
                        w.awaitExit(Duration.ofSeconds(15));
                    }
                    w.close();
                }
            }
            Map<String, List<Job.Answer>> answers = job.answers();
            assertThat(answers.keySet())
                    .as("every request answered")
                    .containsAll(job.landings().keySet());
            job.assertNoCommittedOffsetPassesAnUnansweredRequest();
            long duplicates =
                    answers.values().stream().mapToLong(l -> l.size() - 1).sum();
            return new Roll(
                    requests, restarts[0], answeredAtRestarts, rebalancesPerIncarnation, duplicates, secondsToReplace);
        }
    }

    /** Waits until the group is stable with {@code members} members holding every partition between them. */
    private static void awaitStable(Job job, int members) {
        try (Admin admin =
                Admin.create(Map.of("bootstrap.servers", job.devStack().bootstrapServers()))) {
            await("group " + job.group() + " stable with " + members + " members")
                    .atMost(Duration.ofMinutes(2))
                    .pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(job.group()))
                                .all()
                                .get(30, TimeUnit.SECONDS)
                                .get(job.group());
                        int partitions = g.members().stream()
                                .mapToInt(m -> m.assignment().topicPartitions().size())
                                .sum();
                        return g.groupState() == GroupState.STABLE
                                && g.members().size() == members
                                && partitions == job.partitions();
                    });
        }
    }

    private static double rebalances(int port) throws InterruptedException {
        try {
            return Scrape.of("http://127.0.0.1:" + port).sum("kafka_consumer_coordinator_rebalance_total");
        } catch (IOException e) {
            throw new IllegalStateException("cannot scrape the worker on port " + port, e);
        }
    }

    private static WorkerProcess start(Job job, int worker, int generation, int port, boolean staticMembership) {
        String id = "roll-" + worker;
        Map<String, String> overrides = new HashMap<>();
        overrides.put(WorkerConfig.JOBS_TRACKER_ENABLED, "false");
        if (staticMembership) {
            overrides.put(WorkerConfig.GROUP_INSTANCE_ID, id);
            overrides.put(WorkerConfig.LEAVE_GROUP_ON_CLOSE, "false");
            // Longer than a replacement JVM takes to start and join on a loaded machine (up to about 30 s seen here):
            // a static member whose session expires is removed, and that is a rebalance.
            overrides.put("kafka.consumer.session.timeout.ms", "60000");
        }
        overrides.put(WorkerConfig.HTTP_PORT, Integer.toString(port));
        overrides.put(WorkerConfig.HTTP_BIND_ADDRESS, "127.0.0.1");
        return WorkerProcess.start(
                job.prefix() + "-" + id + "-g" + generation, job.workerSettings(id, KillLoopTest.MANIFEST, overrides));
    }
}
