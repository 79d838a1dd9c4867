package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ModelPool#close(Duration)} keeps to one budget for the whole pool, however many models run batches that
 * would last 30 s: abandoned runs are terminated, running ones get the budget less a reserve, and a run that
 * ignores termination is left behind rather than waited for.
 */
class PoolCloseBudgetTest {

    private static final Duration MARGIN = Duration.ofSeconds(1);

    private final List<SleepingRunner> runners = new ArrayList<>();
    private final ModelPool<String, String> pool = new ModelPool<>("close", String::length);

    @AfterEach
    void release() {
        runners.forEach(r -> r.release.countDown());
        pool.close(Duration.ofSeconds(5));
    }

    /**
     * Sleeps 30 s in every run unless terminated (then it throws, like a terminated ONNX Runtime run) or released
     * (then it answers); one made with {@code honoursTerminate = false} also ignores interrupts and terminate.
     */
    static final class SleepingRunner implements BatchRunner<String, String> {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch terminated = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final boolean honoursTerminate;
        final AtomicBoolean closed = new AtomicBoolean();

        SleepingRunner(boolean honoursTerminate) {
            this.honoursTerminate = honoursTerminate;
        }

        @Override
        public List<String> run(List<String> inputs) throws Exception {
            entered.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            boolean interrupted = false;
            try {
                while (release.getCount() > 0 && System.nanoTime() < deadline) {
                    if (honoursTerminate && terminated.getCount() == 0) {
                        throw new IllegalStateException("run terminated");
                    }
                    try {
                        release.await(10, TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        if (honoursTerminate) {
                            throw e;
                        }
                        interrupted = true; // a native run cannot be interrupted either: keep sleeping
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            return inputs.stream().map(s -> s + " done").toList();
        }

        @Override
        public void terminate() {
            if (honoursTerminate) {
                terminated.countDown();
            }
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    private SleepingRunner model(String key, boolean honoursTerminate) throws Exception {
        SleepingRunner runner = new SleepingRunner(honoursTerminate);
        runners.add(runner);
        pool.addModel(key, PoolModelConfig.oneAtATime(1, 10), worker -> runner);
        assertThat(pool.awaitLoaded(key, Duration.ofSeconds(10))).isEqualTo(ModelState.READY);
        return runner;
    }

    private static Throwable failure(CompletableFuture<Completed<String>> future) throws Exception {
        try {
            future.get(10, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    @Test
    void threeModelsWithAbandonedThirtySecondRunsCloseWithinOneBudget() throws Exception {
        List<SleepingRunner> sleeping = List.of(model("a", true), model("b", true), model("c", true));
        List<CompletableFuture<Completed<String>>> futures = new ArrayList<>();
        for (String key : List.of("a", "b", "c")) {
            futures.add(pool.submit(key, "task of " + key));
        }
        for (SleepingRunner r : sleeping) {
            assertThat(r.entered.await(10, TimeUnit.SECONDS)).isTrue();
        }
        pool.beginShutdown();
        assertThat(pool.abandon()).isEqualTo(3);
        Duration budget = Duration.ofSeconds(1);

        long started = System.nanoTime();
        boolean clean = pool.close(budget);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(took).isLessThan(budget.plus(MARGIN));
        assertThat(sleeping)
                .allSatisfy(r ->
                        assertThat(r.terminated.getCount()).as("terminated").isZero());
        // Not joined by the close: each terminated run returns and closes its runner on its own worker thread.
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(sleeping)
                        .allSatisfy(
                                r -> assertThat(r.closed).as("runner closed").isTrue()));
        assertThat(pool.close(budget)).as("a second close answers as the first").isEqualTo(clean);
        for (CompletableFuture<Completed<String>> f : futures) {
            assertThat(failure(f))
                    .isInstanceOfSatisfying(
                            PoolRejectedException.class,
                            e -> assertThat(e.error()).isInstanceOf(PoolError.ShuttingDown.class));
        }
        assertThat(pool.state("a")).isEqualTo(ModelState.CLOSED);
    }

    @Test
    void aRunningBatchThatEndsWithinTheBudgetIsAnsweredNotAbandoned() throws Exception {
        SleepingRunner runner = model("m", true);
        CompletableFuture<Completed<String>> running = pool.submit("m", "running");
        assertThat(runner.entered.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Completed<String>> queued = pool.submit("m", "queued");

        CompletableFuture<Boolean> close = CompletableFuture.supplyAsync(() -> pool.close(Duration.ofSeconds(20)));
        assertThat(failure(queued)).isInstanceOf(PoolRejectedException.class);
        runner.release.countDown();

        assertThat(running.get(10, TimeUnit.SECONDS).output()).isEqualTo("running done");
        assertThat(close.get(20, TimeUnit.SECONDS)).isTrue();
        assertThat(runner.terminated.getCount()).as("not terminated").isOne();
        assertThat(runner.closed).isTrue();
    }

    @Test
    void aRunningBatchIsAbandonedAndTerminatedWhenThePatienceRunsOut() throws Exception {
        SleepingRunner runner = model("m", true);
        CompletableFuture<Completed<String>> running = pool.submit("m", "running");
        assertThat(runner.entered.await(10, TimeUnit.SECONDS)).isTrue();
        Duration budget = Duration.ofSeconds(2);

        long started = System.nanoTime();
        boolean clean = pool.close(budget);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(clean).isTrue();
        assertThat(took).isLessThan(budget.plus(MARGIN));
        assertThat(failure(running)).isInstanceOf(PoolRejectedException.class);
        assertThat(runner.terminated.getCount()).isZero();
        assertThat(runner.closed).isTrue();
    }

    @Test
    void aRunThatIgnoresTerminationIsLeftBehindAndTheCloseStillKeepsToItsBudget() throws Exception {
        SleepingRunner stubborn = model("stubborn", false);
        SleepingRunner polite = model("polite", true);
        CompletableFuture<Completed<String>> a = pool.submit("stubborn", "a");
        CompletableFuture<Completed<String>> b = pool.submit("polite", "b");
        assertThat(stubborn.entered.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(polite.entered.await(10, TimeUnit.SECONDS)).isTrue();
        pool.beginShutdown();
        pool.abandon();
        Duration budget = Duration.ofSeconds(1);

        long started = System.nanoTime();
        boolean clean = pool.close(budget);
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        assertThat(clean).as("a worker was left running").isFalse();
        assertThat(took).isLessThan(budget.plus(MARGIN));
        assertThat(failure(a)).isInstanceOf(PoolRejectedException.class);
        assertThat(failure(b)).isInstanceOf(PoolRejectedException.class);
        await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(polite.closed).isTrue());
        assertThat(stubborn.closed).as("its runner is still in use").isFalse();
        assertThat(pool.close(budget))
                .as("a second close answers at once, as the first")
                .isFalse();
    }

    @Test
    void anAbandonedRunIsNotWaitedForEvenWhenTheBudgetWouldAllowIt() throws Exception {
        SleepingRunner stubborn = model("stubborn", false);
        CompletableFuture<Completed<String>> task = pool.submit("stubborn", "abandoned");
        assertThat(stubborn.entered.await(10, TimeUnit.SECONDS)).isTrue();
        pool.beginShutdown();
        assertThat(pool.abandon()).isOne();

        CompletableFuture<Boolean> close = CompletableFuture.supplyAsync(() -> pool.close(Duration.ofSeconds(60)));

        // A close that joined the abandoned worker would wait 59 s of its 60 s budget for this run.
        await().atMost(Duration.ofSeconds(10)).until(close::isDone);
        assertThat(close.get()).as("the abandoned worker still runs").isFalse();
        assertThat(stubborn.release.getCount()).as("the run is still under way").isOne();
        assertThat(stubborn.closed).as("its runner is still in use").isFalse();
        assertThat(failure(task))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isInstanceOf(PoolError.ShuttingDown.class));
    }
}
