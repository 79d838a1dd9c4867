package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The pool core, driven with opaque string tasks whose length is the string's length. No model is involved. */
class ModelPoolTest {

    private static final String MODEL = "m";

    private final ModelPool<String, String> pool = new ModelPool<>("test", String::length);

    @AfterEach
    void closePool() {
        pool.close();
    }

    private static PoolModelConfig batching(
            int workers, int capacity, int maxItems, int maxTokens, Duration delay, int window) {
        return PoolModelConfig.builder()
                .workers(workers)
                .queueCapacity(capacity)
                .maxBatchItems(maxItems)
                .maxBatchTokens(maxTokens)
                .maxDelay(delay)
                .sortWindow(window)
                .build();
    }

    /** A one-worker model whose runner blocks until {@code gate} opens. */
    private RecordingRunner gatedModel(CountDownLatch gate, PoolModelConfig config) throws Exception {
        RecordingRunner runner = new RecordingRunner(gate);
        pool.addModel(MODEL, config, worker -> runner);
        assertThat(pool.awaitLoaded(MODEL, Duration.ofSeconds(10))).isEqualTo(ModelState.READY);
        return runner;
    }

    private static List<String> outputs(List<CompletableFuture<Completed<String>>> futures) {
        return futures.stream().map(f -> f.join().output()).toList();
    }

    @Test
    void everySubmittedTaskCompletesWithItsOwnOutput() throws Exception {
        pool.addModel(MODEL, batching(2, 100, 4, 1_000, Duration.ZERO, 16), worker -> RecordingRunner.open());
        List<CompletableFuture<Completed<String>>> futures = new ArrayList<>();
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(pool.submit(MODEL, "task-" + i));
            expected.add("TASK-" + i);
        }

        assertThat(outputs(futures)).containsExactlyElementsOf(expected);
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(pool.pending()).isZero();
    }

    @Test
    void aBatchClosesAtMaxItems() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, batching(1, 100, 3, 1_000, Duration.ZERO, 12));
        CompletableFuture<Completed<String>> first = pool.submit(MODEL, "blocker");
        runner.entered.await(10, TimeUnit.SECONDS);
        List<CompletableFuture<Completed<String>>> rest = new ArrayList<>();
        for (String s : List.of("a1", "a2", "a3", "a4", "a5", "a6", "a7")) {
            rest.add(pool.submit(MODEL, s));
        }
        gate.countDown();

        CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        assertThat(first.join().output()).isEqualTo("BLOCKER");
        assertThat(runner.batches.subList(1, runner.batches.size()))
                .containsExactly(List.of("a1", "a2", "a3"), List.of("a4", "a5", "a6"), List.of("a7"));
        assertThat(rest.get(0).join().timing().batchSize()).isEqualTo(3);
    }

    @Test
    void aBatchClosesAtTheTokenBudget() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, batching(1, 100, 8, 12, Duration.ZERO, 32));
        pool.submit(MODEL, "x");
        runner.entered.await(10, TimeUnit.SECONDS);
        List<CompletableFuture<Completed<String>>> rest = new ArrayList<>();
        for (String s : List.of("aaaa", "bbbb", "cccc", "dddd", "eeee")) {
            rest.add(pool.submit(MODEL, s));
        }
        gate.countDown();

        CompletableFuture.allOf(rest.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);
        // 3 tasks of length 4 cost 12 tokens padded; a 4th would cost 16
        assertThat(runner.batches.subList(1, runner.batches.size()))
                .containsExactly(List.of("aaaa", "bbbb", "cccc"), List.of("dddd", "eeee"));
    }

    @Test
    void anUnfilledBatchRunsOnceItsMaxDelayHasPassed() throws Exception {
        RecordingRunner runner = RecordingRunner.open();
        pool.addModel(MODEL, batching(1, 100, 64, 100_000, Duration.ofMillis(200), 64), worker -> runner);
        pool.awaitLoaded(MODEL, Duration.ofSeconds(10));

        CompletableFuture<Completed<String>> a = pool.submit(MODEL, "a");
        CompletableFuture<Completed<String>> b = pool.submit(MODEL, "b");
        Completed<String> done = a.get(10, TimeUnit.SECONDS);

        assertThat(b.get(10, TimeUnit.SECONDS).output()).isEqualTo("B");
        assertThat(runner.batches).containsExactly(List.of("a", "b"));
        assertThat(done.timing().queuedNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(150));
    }

    @Test
    void tasksInOneWindowAreSortedByLengthSoBatchesHoldSimilarLengths() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, batching(1, 100, 2, 1_000, Duration.ZERO, 8));
        pool.submit(MODEL, "x");
        runner.entered.await(10, TimeUnit.SECONDS);
        List<CompletableFuture<Completed<String>>> rest = new ArrayList<>();
        for (String s : List.of("dddddddd", "a", "cccccc", "bb")) {
            rest.add(pool.submit(MODEL, s));
        }
        gate.countDown();

        assertThat(outputs(rest)).containsExactly("DDDDDDDD", "A", "CCCCCC", "BB");
        assertThat(runner.batches.subList(1, runner.batches.size()))
                .containsExactly(List.of("a", "bb"), List.of("cccccc", "dddddddd"));
    }

    @Test
    void aFullQueueRejectsSubmissionsWithOverloadedAndQueuesNothing() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, PoolModelConfig.oneAtATime(1, 3));
        pool.submit(MODEL, "running");
        runner.entered.await(10, TimeUnit.SECONDS);
        pool.submit(MODEL, "q1");
        pool.submit(MODEL, "q2");

        assertThatThrownBy(() -> pool.submitAll(MODEL, List.of("q3", "q4"), new CollectingListener()))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isEqualTo(new PoolError.Overloaded(MODEL, 2, 3, 2)));
        assertThat(pool.pending()).isEqualTo(3);
        pool.submit(MODEL, "q3");
        assertThatThrownBy(() -> pool.submit(MODEL, "q4"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isInstanceOf(PoolError.Overloaded.class));
        gate.countDown();
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void anUnknownModelIsRejectedByName() {
        assertThatThrownBy(() -> pool.submit("nope", "x"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isEqualTo(new PoolError.UnknownModel("nope")));
    }

    @Test
    void oneFailingTaskFailsAloneAndItsBatchNeighboursSucceed() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, batching(1, 100, 8, 1_000, Duration.ZERO, 8));
        pool.submit(MODEL, "x");
        runner.entered.await(10, TimeUnit.SECONDS);
        CompletableFuture<Completed<String>> before = pool.submit(MODEL, "aaaaa");
        CompletableFuture<Completed<String>> bad = pool.submit(MODEL, RecordingRunner.POISON);
        CompletableFuture<Completed<String>> after = pool.submit(MODEL, "bbbbbbb");
        gate.countDown();

        assertThat(before.get(10, TimeUnit.SECONDS).output()).isEqualTo("AAAAA");
        assertThat(after.get(10, TimeUnit.SECONDS).output()).isEqualTo("BBBBBBB");
        assertThatThrownBy(bad::get)
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalArgumentException.class);
        // the worker survives: later work still runs
        assertThat(pool.submit(MODEL, "later").get(10, TimeUnit.SECONDS).output())
                .isEqualTo("LATER");
    }

    @Test
    void afterShutdownBeginsNewWorkIsRejectedAndQueuedWorkStillDrains() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, PoolModelConfig.oneAtATime(1, 10));
        CompletableFuture<Completed<String>> running = pool.submit(MODEL, "running");
        runner.entered.await(10, TimeUnit.SECONDS);
        CompletableFuture<Completed<String>> queued = pool.submit(MODEL, "queued");

        pool.beginShutdown();

        assertThat(pool.isShuttingDown()).isTrue();
        assertThatThrownBy(() -> pool.submit(MODEL, "late"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isEqualTo(new PoolError.ShuttingDown(MODEL)));
        assertThat(pool.pending()).isEqualTo(2);
        assertThat(pool.awaitDrained(Duration.ofMillis(50))).isFalse();
        gate.countDown();
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(running.join().output()).isEqualTo("RUNNING");
        assertThat(queued.join().output()).isEqualTo("QUEUED");
    }

    @Test
    void abandonAfterATimedOutDrainFailsEveryUnfinishedTaskAndCountsThem() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = gatedModel(gate, PoolModelConfig.oneAtATime(1, 10));
        CompletableFuture<Completed<String>> running = pool.submit(MODEL, "running");
        runner.entered.await(10, TimeUnit.SECONDS);
        CompletableFuture<Completed<String>> queued1 = pool.submit(MODEL, "q1");
        CompletableFuture<Completed<String>> queued2 = pool.submit(MODEL, "q2");
        pool.beginShutdown();
        assertThat(pool.awaitDrained(Duration.ofMillis(20))).isFalse();

        int abandoned = pool.abandon();

        assertThat(abandoned).isEqualTo(3);
        assertThat(pool.pending()).isZero();
        for (CompletableFuture<Completed<String>> f : List.of(running, queued1, queued2)) {
            assertThatThrownBy(f::join).hasCauseInstanceOf(PoolRejectedException.class);
        }
        gate.countDown();
        // the run that was under way finishes, but its output is dropped: each task finishes once
        assertThat(running).isCompletedExceptionally();
        assertThat(pool.awaitDrained(Duration.ofSeconds(1))).isTrue();
    }

    @Test
    void aModelWhoseWorkersAllFailToOpenFailsQueuedTasksAndRejectsNewOnes() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        pool.addModel(MODEL, PoolModelConfig.oneAtATime(2, 10), worker -> {
            release.await(10, TimeUnit.SECONDS);
            throw new java.io.IOException("no such model file");
        });
        CompletableFuture<Completed<String>> queued = pool.submit(MODEL, "waiting");
        release.countDown();

        assertThat(pool.awaitLoaded(MODEL, Duration.ofSeconds(10))).isEqualTo(ModelState.FAILED);
        assertThatThrownBy(queued::join).hasCauseInstanceOf(PoolRejectedException.class);
        assertThatThrownBy(() -> pool.submit(MODEL, "later"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error())
                                .isEqualTo(new PoolError.ModelLoadFailed(MODEL, "no such model file")));
    }

    @Test
    void eachWorkerOwnsItsRunnerAndItsPendingCounterAndClosesItOnClose() throws Exception {
        Map<Integer, RecordingRunner> opened = new ConcurrentHashMap<>();
        CountDownLatch gate = new CountDownLatch(1);
        pool.addModel(MODEL, PoolModelConfig.oneAtATime(2, 10), worker -> {
            RecordingRunner r = new RecordingRunner(gate);
            opened.put(worker, r);
            return r;
        });
        pool.submit(MODEL, "a");
        pool.submit(MODEL, "b");

        await().atMost(Duration.ofSeconds(10))
                .until(() -> pool.workerPending(MODEL).equals(List.of(1, 1)));
        assertThat(opened.keySet()).containsExactlyInAnyOrder(0, 1);
        gate.countDown();
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(pool.workerPending(MODEL)).containsExactly(0, 0);

        pool.close();

        assertThat(opened.values()).allSatisfy(r -> assertThat(r.closed).isTrue());
        assertThat(pool.state(MODEL)).isEqualTo(ModelState.CLOSED);
        assertThatThrownBy(() -> pool.submit(MODEL, "x"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isInstanceOf(PoolError.ShuttingDown.class));
    }

    @Test
    void submitAllReportsEachOutcomeWithItsIndex() throws Exception {
        pool.addModel(MODEL, batching(1, 100, 4, 1_000, Duration.ZERO, 4), worker -> RecordingRunner.open());
        CollectingListener listener = new CollectingListener();

        pool.submitAll(MODEL, List.of("zero", RecordingRunner.POISON, "two"), listener);

        await().atMost(Duration.ofSeconds(10)).until(() -> listener.outcomes.size() == 3);
        assertThat(listener.outcomes).containsEntry(0, "ZERO").containsEntry(2, "TWO");
        assertThat(listener.outcomes.get(1)).startsWith("failed:");
    }

    @Test
    void aListenerThatThrowsOnCompletionIsToldTheTaskFailedAndThePoolDrains() throws Exception {
        pool.addModel(MODEL, batching(1, 100, 4, 1_000, Duration.ZERO, 4), worker -> RecordingRunner.open());
        CollectingListener listener = new CollectingListener() {
            @Override
            public void completed(int index, String output, TaskTiming timing) {
                if (index == 1) {
                    throw new IllegalStateException("cannot build the result of " + output);
                }
                super.completed(index, output, timing);
            }
        };

        pool.submitAll(MODEL, List.of("zero", "one", "two"), listener);

        await().atMost(Duration.ofSeconds(10)).until(() -> listener.outcomes.size() == 3);
        assertThat(listener.outcomes)
                .containsEntry(0, "ZERO")
                .containsEntry(2, "TWO")
                .containsEntry(1, "failed: java.lang.IllegalStateException: cannot build the result of ONE");
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(pool.pending()).isZero();
    }

    @Test
    void aListenerThatThrowsOnBothOutcomesStillLetsThePoolDrain() throws Exception {
        pool.addModel(MODEL, batching(1, 100, 4, 1_000, Duration.ZERO, 4), worker -> RecordingRunner.open());
        List<Integer> told = new java.util.concurrent.CopyOnWriteArrayList<>();
        TaskListener<String> broken = new TaskListener<>() {
            @Override
            public void completed(int index, String output, TaskTiming timing) {
                told.add(index);
                throw new IllegalStateException("completion");
            }

            @Override
            public void failed(int index, Throwable cause, TaskTiming timing) {
                told.add(-1 - index);
                throw new IllegalStateException("failure");
            }
        };

        pool.submitAll(MODEL, List.of("a", "b"), broken);

        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
        assertThat(told).containsExactlyInAnyOrder(0, -1, 1, -2);
        CompletableFuture<Completed<String>> next = pool.submit(MODEL, "next");
        assertThat(next.get(10, TimeUnit.SECONDS).output()).isEqualTo("NEXT");
    }

    /** Records outputs, and failures as "failed: ...", by index. */
    static class CollectingListener implements TaskListener<String> {
        final Map<Integer, String> outcomes = new ConcurrentHashMap<>();

        @Override
        public void completed(int index, String output, TaskTiming timing) {
            outcomes.put(index, output);
        }

        @Override
        public void failed(int index, Throwable cause, TaskTiming timing) {
            outcomes.put(index, "failed: " + cause);
        }
    }
}
