package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Each model learns its seconds per cost unit from its completed batches, and the pool's estimates of work in seconds
 * follow. Batch runs are timed on a test clock that the runner advances by a known amount per cost unit, so the
 * figures are exact and no test depends on the machine's speed. A task's cost here is the number its string carries
 * ("t:300" costs 300); its length is 1.
 */
class CostRateTest {

    private static final String MODEL = "m";
    private static final long MS = 1_000_000L;

    private final AtomicLong clock = new AtomicLong();
    private final ModelPool<String, String> pool = new ModelPool<>("cost", s -> 1, CostRateTest::cost, clock::get);

    @AfterEach
    void close() {
        pool.close(Duration.ofSeconds(5));
    }

    static long cost(String task) {
        return Long.parseLong(task.substring(task.indexOf(':') + 1));
    }

    /**
     * Advances the test clock by {@code nanosPerUnit} per unit of the batch's cost, then waits at its gate (open
     * unless a test closes it); fails batches holding a task named "poison:N".
     */
    static final class TimedRunner implements BatchRunner<String, String> {
        final AtomicLong clock;
        final AtomicLong nanosPerUnit;
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch entered = new CountDownLatch(1);

        TimedRunner(AtomicLong clock, long nanosPerUnit) {
            this.clock = clock;
            this.nanosPerUnit = new AtomicLong(nanosPerUnit);
        }

        @Override
        public List<String> run(List<String> inputs) throws Exception {
            entered.countDown();
            if (!gate.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate never opened");
            }
            long sum = inputs.stream().mapToLong(CostRateTest::cost).sum();
            clock.addAndGet(sum * nanosPerUnit.get());
            if (inputs.stream().anyMatch(s -> s.startsWith("poison"))) {
                throw new IllegalArgumentException("poison");
            }
            return inputs;
        }

        @Override
        public void close() {}
    }

    private TimedRunner model(int workers, long nanosPerUnit) throws Exception {
        TimedRunner runner = new TimedRunner(clock, nanosPerUnit);
        pool.addModel(
                MODEL,
                PoolModelConfig.builder().workers(workers).maxBatchItems(4).build(),
                worker -> runner);
        assertThat(pool.awaitLoaded(MODEL, Duration.ofSeconds(10))).isEqualTo(ModelState.READY);
        return runner;
    }

    private void runAll(List<String> tasks) throws Exception {
        List<CompletableFuture<Completed<String>>> futures = new ArrayList<>();
        for (String t : tasks) {
            futures.add(pool.submit(MODEL, t));
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .handle((v, e) -> null)
                .get(30, TimeUnit.SECONDS);
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void beforeAnyBatchCompletedTheRateIsUnknownAndWorkIsEstimatedUnbounded() throws Exception {
        TimedRunner runner = model(1, 2 * MS);
        runner.gate = new CountDownLatch(1);

        assertThat(pool.secondsPerCostUnit(MODEL)).isNaN();
        assertThat(pool.estimatedSeconds(MODEL)).as("nothing queued").isZero();
        assertThat(pool.estimateSeconds(MODEL, List.of("t:10"))).isInfinite();

        pool.submit(MODEL, "t:10");
        assertThat(pool.estimatedSeconds(MODEL)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(pool.estimatedSecondsInFlight()).isEqualTo(Double.POSITIVE_INFINITY);
        runner.gate.countDown();
    }

    @Test
    void theRateIsLearnedFromCompletedBatchesAsSecondsPerCostUnit() throws Exception {
        model(1, 2 * MS);

        runAll(List.of("t:100", "t:300", "t:50", "t:7"));

        assertThat(pool.secondsPerCostUnit(MODEL)).isCloseTo(0.002, within(1e-12));
        assertThat(pool.estimatedSeconds(MODEL)).as("nothing left in flight").isZero();
    }

    @Test
    void estimatesFollowTheLearnedRateAndAreSharedByTheWorkers() throws Exception {
        TimedRunner runner = model(2, 2 * MS);
        runAll(List.of("t:100"));
        runner.gate = new CountDownLatch(1);

        for (String t : List.of("t:400", "t:400", "t:200")) {
            pool.submit(MODEL, t);
        }

        // 1,000 units at 2 ms each, on two workers
        assertThat(pool.outstandingCost(MODEL)).isEqualTo(1_000);
        assertThat(pool.estimatedSeconds(MODEL)).isCloseTo(1.0, within(1e-9));
        assertThat(pool.estimatedSecondsInFlight()).isCloseTo(1.0, within(1e-9));
        assertThat(pool.estimateSeconds(MODEL, List.of("t:500"))).isCloseTo(0.5, within(1e-9));
        runner.gate.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> pool.estimatedSeconds(MODEL) == 0);
    }

    @Test
    void aModelThatSlowsDownIsFollowedAndEstimatesRiseWithIt() throws Exception {
        TimedRunner runner = model(1, 2 * MS);
        for (int i = 0; i < CostRate.SEED_BATCHES; i++) {
            runAll(List.of("t:100"));
        }
        assertThat(pool.secondsPerCostUnit(MODEL)).isCloseTo(0.002, within(1e-12));

        runner.nanosPerUnit.set(10 * MS);
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            runAll(List.of("t:100"));
            rates.add(pool.secondsPerCostUnit(MODEL));
        }

        assertThat(rates).isSorted();
        assertThat(rates.get(0))
                .as("one batch moves it by the average's weight")
                .isCloseTo(0.002 + CostRate.ALPHA * 0.008, within(1e-12));
        assertThat(rates.get(rates.size() - 1))
                .as("forty batches later it is close to the new speed")
                .isCloseTo(0.010, within(0.0002));
    }

    @Test
    void failedBatchesTeachNothing() throws Exception {
        model(1, 2 * MS);
        runAll(List.of("t:100"));

        runAll(List.of("poison:1"));

        assertThat(pool.secondsPerCostUnit(MODEL)).isCloseTo(0.002, within(1e-12));
    }

    @Test
    void theRecentSecondsPerSubmissionTurnAFutureBacklogIntoSeconds() throws Exception {
        model(2, 2 * MS);
        pool.submit(MODEL, "t:1");
        assertThat(pool.recentSecondsPerSubmission())
                .as("no rate known at that submission")
                .isNaN();
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();

        // learned 2 ms per unit; requests of 300 and 100 units on two workers bring 0.3 s and 0.1 s of work
        pool.submitAll(MODEL, List.of("t:200", "t:100"), new ModelPoolTest.CollectingListener());
        pool.submit(MODEL, "t:100");
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();

        assertThat(pool.recentSecondsPerSubmission()).isCloseTo((0.3 + 0.1) / 2, within(1e-9));
    }
}
