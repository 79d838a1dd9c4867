package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class BatchObserverTest {

    private static final String MODEL = "m";

    record Seen(String model, int size, long tokens, long runNanos, boolean failed) {}

    private final ModelPool<String, String> pool = new ModelPool<>("test", String::length);
    private final List<Seen> seen = new CopyOnWriteArrayList<>();

    @AfterEach
    void close() {
        pool.close();
    }

    @Test
    void everyBatchRunIsReportedWithItsSizeAndSummedTaskLengths() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = new RecordingRunner(gate);
        pool.observeBatches(
                (model, size, tokens, runNanos, failed) -> seen.add(new Seen(model, size, tokens, runNanos, failed)));
        pool.addModel(
                MODEL,
                PoolModelConfig.builder()
                        .queueCapacity(100)
                        .maxBatchItems(4)
                        .maxBatchTokens(1_000)
                        .sortWindow(16)
                        .build(),
                worker -> runner);
        CompletableFuture<Completed<String>> first = pool.submit(MODEL, "a");
        assertThat(runner.entered.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Completed<String>>> rest =
                List.of(pool.submit(MODEL, "bb"), pool.submit(MODEL, "ccc"), pool.submit(MODEL, "dddd"));
        gate.countDown();
        first.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<Completed<String>> f : rest) {
            f.get(10, TimeUnit.SECONDS);
        }

        assertThat(seen)
                .extracting(Seen::model, Seen::size, Seen::tokens, Seen::failed)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(MODEL, 1, 1L, false),
                        org.assertj.core.groups.Tuple.tuple(MODEL, 3, 9L, false));
        assertThat(seen).allSatisfy(s -> assertThat(s.runNanos()).isPositive());
    }

    @Test
    void aFailedBatchIsReportedAsFailedAndEachSoloRerunOnItsOwn() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = new RecordingRunner(gate);
        pool.observeBatches(
                (model, size, tokens, runNanos, failed) -> seen.add(new Seen(model, size, tokens, runNanos, failed)));
        pool.addModel(
                MODEL,
                PoolModelConfig.builder()
                        .queueCapacity(100)
                        .maxBatchItems(4)
                        .maxBatchTokens(1_000)
                        .sortWindow(16)
                        .build(),
                worker -> runner);
        CompletableFuture<Completed<String>> warmup = pool.submit(MODEL, "x");
        assertThat(runner.entered.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Completed<String>> good = pool.submit(MODEL, "ok");
        CompletableFuture<Completed<String>> bad = pool.submit(MODEL, RecordingRunner.POISON);
        gate.countDown();
        warmup.get(10, TimeUnit.SECONDS);
        good.get(10, TimeUnit.SECONDS);
        assertThat(bad).failsWithin(Duration.ofSeconds(10));

        assertThat(seen)
                .extracting(Seen::size, Seen::failed)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(1, false),
                        org.assertj.core.groups.Tuple.tuple(2, true),
                        org.assertj.core.groups.Tuple.tuple(1, false),
                        org.assertj.core.groups.Tuple.tuple(1, true));
    }

    @Test
    void anObserverThatThrowsDoesNotFailTheTasks() throws Exception {
        pool.observeBatches((model, size, tokens, runNanos, failed) -> {
            throw new IllegalStateException("observer broke");
        });
        pool.addModel(MODEL, PoolModelConfig.oneAtATime(1, 10), worker -> RecordingRunner.open());
        assertThat(pool.submit(MODEL, "fine").get(10, TimeUnit.SECONDS).output())
                .isEqualTo("FINE");
    }
}
