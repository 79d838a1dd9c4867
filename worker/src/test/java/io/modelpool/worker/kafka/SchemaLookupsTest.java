package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Lookups off the calling thread: one per id at a time, failures handed back, and never more calls than the rate
 * allows. The lookup function here stands for the registry client's {@code schemaById}.
 */
class SchemaLookupsTest {

    @Test
    void recordsNeedingTheSameIdShareOneLookupAndTheCallerNeverWaits() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger calls = new AtomicInteger();
        try (SchemaLookups lookups = new SchemaLookups(
                id -> {
                    calls.incrementAndGet();
                    awaitUninterruptibly(release);
                },
                1_000,
                2)) {
            CompletableFuture<Void> first = lookups.fetch(7);
            CompletableFuture<Void> second = lookups.fetch(7);

            assertThat(first).as("returned while the lookup is still running").isNotDone();
            assertThat(second).isSameAs(first);
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(first::isDone);
            assertThat(first).isCompleted();
            assertThat(calls.get()).isEqualTo(1);
            assertThat(lookups.pending()).isZero();
        }
    }

    @Test
    void aFailedLookupCompletesExceptionallyAndTheNextFetchTriesAgain() {
        AtomicInteger calls = new AtomicInteger();
        try (SchemaLookups lookups = new SchemaLookups(
                id -> {
                    if (calls.incrementAndGet() == 1) {
                        throw new IllegalStateException("registry down");
                    }
                },
                1_000,
                1)) {
            CompletableFuture<Void> failed = lookups.fetch(3);
            await().atMost(Duration.ofSeconds(10)).until(failed::isDone);
            assertThat(failed).isCompletedExceptionally();

            CompletableFuture<Void> again = lookups.fetch(3);
            await().atMost(Duration.ofSeconds(10)).until(again::isDone);
            assertThat(again).isCompleted();
            assertThat(calls.get()).isEqualTo(2);
        }
    }

    @Test
    void beyondTheBurstEachCallWaitsItsTurn() {
        List<Long> startedAt = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        double perSecond = 20; // burst 20, then one every 50 ms
        int ids = 30;
        try (SchemaLookups lookups = new SchemaLookups(id -> startedAt.add(System.nanoTime() - start), perSecond, 4)) {
            List<CompletableFuture<Void>> all = new ArrayList<>();
            for (int id = 0; id < ids; id++) {
                all.add(lookups.fetch(id));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> all.stream().allMatch(CompletableFuture::isDone));
        }

        List<Long> sorted = startedAt.stream().sorted().toList();
        for (int k = 20; k < ids; k++) {
            long earliest = Duration.ofMillis(50L * (k - 19)).toNanos();
            assertThat(sorted.get(k))
                    .as("call %d starts no earlier than %d ms", k, earliest / 1_000_000)
                    .isGreaterThanOrEqualTo(earliest);
        }
    }

    @Test
    void whileThePoolsHaveWorkLookupsStartAtTheBusyRateAndTakeTheFullRateBackOnceTheyAreDone() {
        AtomicBoolean busy = new AtomicBoolean(true);
        List<Long> startedAt = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try (SchemaLookups lookups =
                new SchemaLookups(id -> startedAt.add(System.nanoTime() - start), 1_000, 5, busy::get, 4)) {
            List<CompletableFuture<Void>> whileBusy = new ArrayList<>();
            for (int id = 0; id < 4; id++) {
                whileBusy.add(lookups.fetch(id));
            }
            await().atMost(Duration.ofSeconds(30))
                    .until(() -> whileBusy.stream().allMatch(CompletableFuture::isDone));
            List<Long> sorted = startedAt.stream().sorted().toList();
            for (int k = 1; k < 4; k++) {
                long earliest = Duration.ofMillis(200L * k).toNanos();
                assertThat(sorted.get(k))
                        .as("busy: call %d starts no earlier than %d ms (5 a second)", k, earliest / 1_000_000)
                        .isGreaterThanOrEqualTo(earliest);
            }

            busy.set(false);
            List<CompletableFuture<Void>> idle = new ArrayList<>();
            for (int id = 100; id < 200; id++) {
                idle.add(lookups.fetch(id));
            }
            // At the busy rate these 100 would need 20 s; at the full rate (a burst of 1,000) they start at once
            await("the full rate once the pools are idle")
                    .atMost(Duration.ofSeconds(15))
                    .until(() -> idle.stream().allMatch(CompletableFuture::isDone));
            assertThat(idle).allSatisfy(f -> assertThat(f).isCompleted());
        }
    }

    @Test
    void closingFailsTheLookupsNotYetRunAndStopsTheRunningOne() {
        CountDownLatch never = new CountDownLatch(1);
        SchemaLookups lookups = new SchemaLookups(id -> awaitUninterruptibly(never), 1_000, 1);
        CompletableFuture<Void> running = lookups.fetch(1);
        CompletableFuture<Void> queued = lookups.fetch(2);
        await().atMost(Duration.ofSeconds(10)).until(() -> lookups.pending() == 2);

        lookups.close();

        await().atMost(Duration.ofSeconds(10)).until(() -> running.isDone() && queued.isDone());
        assertThat(queued).as("never started").isCompletedExceptionally();
        assertThat(running).as("interrupted").isCompletedExceptionally();
        assertThat(lookups.fetch(3)).as("after close").isCompletedExceptionally();
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
