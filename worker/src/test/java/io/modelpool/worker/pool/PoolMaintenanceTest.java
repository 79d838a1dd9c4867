package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Lazy loading, load retries, worker scaling, idle unloading and the memory budget, driven with opaque string tasks
 * (see {@link RecordingRunner}); no model is involved.
 */
class PoolMaintenanceTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long MODEL_BYTES = 100;

    private final ModelPool<String, String> pool = new ModelPool<>("test", String::length);
    private final List<PoolMaintenance> maintenances = new ArrayList<>();
    private final Map<String, AtomicInteger> opens = new ConcurrentHashMap<>();
    private final Map<String, List<RecordingRunner>> runners = new ConcurrentHashMap<>();
    private final List<String> overBudget = new CopyOnWriteArrayList<>();
    private final Events events = new Events();

    @AfterEach
    void close() {
        maintenances.forEach(PoolMaintenance::close);
        pool.close();
    }

    private PoolMaintenance maintain(long budgetBytes) {
        PoolMaintenance m = PoolMaintenance.start(
                List.of(pool),
                PoolMaintenance.Settings.builder()
                        .interval(Duration.ofMillis(10))
                        .memoryBudgetBytes(budgetBytes)
                        .scaleUpWait(Duration.ofMillis(20))
                        .workerIdle(Duration.ofMillis(150))
                        .loadRetryBackoff(Duration.ofMillis(300))
                        .loadRetryMax(Duration.ofSeconds(1))
                        .build());
        maintenances.add(m);
        return m;
    }

    /** Registers a model whose runners wait for {@code gate} in every run and count their opens. */
    private void model(String key, int workers, MaintenancePolicy policy, CountDownLatch gate) throws Exception {
        pool.addModel(key, PoolModelConfig.oneAtATime(workers, 1_000), worker -> {
            opens.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
            for (PoolMaintenance m : maintenances) {
                if (m.budgetUsedBytes() > m.budgetBytes()) {
                    overBudget.add(key + " opened at " + m.budgetUsedBytes() + " of " + m.budgetBytes() + " bytes");
                }
            }
            RecordingRunner r = new RecordingRunner(gate);
            runners.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(r);
            return r;
        });
        pool.setPolicy(key, policy);
    }

    private void model(String key, MaintenancePolicy policy) throws Exception {
        model(key, 1, policy, new CountDownLatch(0));
    }

    private int opensOf(String key) {
        AtomicInteger n = opens.get(key);
        return n == null ? 0 : n.get();
    }

    private String run(String key, String input) throws Exception {
        return pool.submit(key, input).get(WAIT.toSeconds(), TimeUnit.SECONDS).output();
    }

    private static MaintenancePolicy oneWorker(Duration idleUnload) {
        return new MaintenancePolicy(1, 1, idleUnload, MODEL_BYTES);
    }

    @Test
    void aModelLoadsOnItsFirstTaskWhileTheTaskWaitsInTheQueueAndSubmitDoesNotBlock() throws Exception {
        CountDownLatch loading = new CountDownLatch(1);
        pool.addModel("lazy", PoolModelConfig.oneAtATime(2, 10), worker -> {
            opens.computeIfAbsent("lazy", k -> new AtomicInteger()).incrementAndGet();
            if (!loading.await(10, TimeUnit.SECONDS)) {
                throw new IOException("test gate never opened");
            }
            return RecordingRunner.open();
        });
        assertThat(pool.state("lazy")).isEqualTo(ModelState.UNLOADED);
        assertThat(opensOf("lazy")).isZero();

        CompletableFuture<Completed<String>> first = pool.submit("lazy", "first");

        assertThat(pool.state("lazy")).isEqualTo(ModelState.LOADING);
        assertThat(first).isNotDone();
        assertThat(pool.pending("lazy")).isEqualTo(1);
        loading.countDown();
        assertThat(first.get(10, TimeUnit.SECONDS).output()).isEqualTo("FIRST");
        assertThat(pool.state("lazy")).isEqualTo(ModelState.READY);
        await().atMost(WAIT).until(() -> opensOf("lazy") == 2);
    }

    @Test
    void aFailedLoadFailsItsWaitingTasksAndIsRetriedAfterABackoffNotOncePerTask() throws Exception {
        AtomicInteger attempts = new AtomicInteger();
        CountDownLatch allQueued = new CountDownLatch(1);
        pool.loadRetryBackoff(Duration.ofSeconds(1), Duration.ofSeconds(2));
        pool.observeLoads(events);
        pool.addModel("flaky", PoolModelConfig.oneAtATime(1, 100), worker -> {
            if (attempts.incrementAndGet() == 1) {
                allQueued.await(10, TimeUnit.SECONDS);
                throw new IOException("model file is corrupt");
            }
            return RecordingRunner.open();
        });
        List<CompletableFuture<Completed<String>>> waiting = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            waiting.add(pool.submit("flaky", "task-" + i));
        }
        allQueued.countDown();

        for (CompletableFuture<Completed<String>> f : waiting) {
            assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS))
                    .cause()
                    .isInstanceOfSatisfying(
                            PoolRejectedException.class,
                            e -> assertThat(e.error())
                                    .isEqualTo(new PoolError.ModelLoadFailed("flaky", "model file is corrupt")));
        }
        assertThat(pool.state("flaky")).isEqualTo(ModelState.FAILED);
        assertThatThrownBy(() -> pool.submit("flaky", "during the backoff"))
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isInstanceOf(PoolError.ModelLoadFailed.class));
        assertThat(attempts).hasValue(1);

        await().atMost(WAIT)
                .pollInterval(Duration.ofMillis(50))
                .ignoreException(PoolRejectedException.class)
                .until(() -> run("flaky", "after the backoff").equals("AFTER THE BACKOFF"));
        assertThat(attempts).hasValue(2);
        assertThat(events.log).containsExactly("failed flaky: model file is corrupt", "loaded flaky");
    }

    @Test
    void workersScaleUpToTheMaximumUnderABurstAndBackToTheMinimumAfterIt() throws Exception {
        maintain(Long.MAX_VALUE);
        CountDownLatch gate = new CountDownLatch(1);
        model("bursty", 1, new MaintenancePolicy(1, 3, Duration.ZERO, MODEL_BYTES), gate);
        List<CompletableFuture<Completed<String>>> burst = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            burst.add(pool.submit("bursty", "task-" + i));
        }

        await().atMost(WAIT).until(() -> pool.workers("bursty") == 3);
        assertThat(pool.residentBytes("bursty")).isEqualTo(3 * MODEL_BYTES);
        gate.countDown();
        for (int i = 0; i < burst.size(); i++) {
            assertThat(burst.get(i).get(10, TimeUnit.SECONDS).output()).isEqualTo("TASK-" + i);
        }
        await().atMost(WAIT).until(() -> pool.workers("bursty") == 1);
        assertThat(opensOf("bursty")).isEqualTo(3);
        await().atMost(WAIT)
                .until(() ->
                        runners.get("bursty").stream().filter(r -> r.closed).count() == 2);
        assertThat(pool.state("bursty")).isEqualTo(ModelState.READY);
    }

    @Test
    void anIdleModelIsUnloadedAndLoadsAgainOnItsNextTask() throws Exception {
        PoolMaintenance maintenance = maintain(Long.MAX_VALUE);
        pool.observeLoads(events);
        model("sleepy", oneWorker(Duration.ofMillis(100)));

        assertThat(run("sleepy", "one")).isEqualTo("ONE");
        await().atMost(WAIT).until(() -> pool.state("sleepy") == ModelState.UNLOADED);
        await().atMost(WAIT).until(() -> runners.get("sleepy").get(0).closed && maintenance.budgetUsedBytes() == 0);

        assertThat(run("sleepy", "two")).isEqualTo("TWO");
        assertThat(opensOf("sleepy")).isEqualTo(2);
        assertThat(events.log).startsWith("loaded sleepy", "unloaded sleepy: IDLE", "loaded sleepy");
    }

    @Test
    void aBudgetThatFitsTwoModelsUnloadsTheLeastRecentlyUsedIdleOneToLoadAThird() throws Exception {
        PoolMaintenance maintenance = maintain(2 * MODEL_BYTES + MODEL_BYTES / 2);
        pool.observeLoads(events);
        for (String key : List.of("a", "b", "c")) {
            model(key, oneWorker(Duration.ZERO));
        }

        for (int round = 0; round < 3; round++) {
            for (String key : List.of("a", "b", "c")) {
                assertThat(run(key, key + round)).isEqualTo((key + round).toUpperCase(java.util.Locale.ROOT));
                assertThat(pool.awaitDrained(WAIT)).isTrue(); // the model counts as idle once its task is finished
                assertThat(maintenance.budgetUsedBytes()).isLessThanOrEqualTo(maintenance.budgetBytes());
            }
        }

        assertThat(overBudget).isEmpty();
        // a, b load; each later model unloads the one used longest ago: 2 + 7 loads, 7 unloads
        assertThat(events.count("loaded")).isEqualTo(9);
        assertThat(events.count("unloaded")).isEqualTo(7);
        assertThat(events.log).filteredOn(e -> e.startsWith("unloaded")).allMatch(e -> e.endsWith("MEMORY_BUDGET"));
        assertThat(events.log.subList(0, 4))
                .containsExactly("loaded a", "loaded b", "unloaded a: MEMORY_BUDGET", "loaded c");
    }

    @Test
    void aModelWithWorkInFlightIsNeverUnloadedAndALoadWaitsUntilRoomComesFree() throws Exception {
        PoolMaintenance maintenance = maintain(2 * MODEL_BYTES);
        CountDownLatch busyGate = new CountDownLatch(1);
        model("busy", 1, oneWorker(Duration.ZERO), busyGate);
        model("idle", oneWorker(Duration.ZERO));
        model("late", oneWorker(Duration.ZERO));
        CompletableFuture<Completed<String>> busyTask = pool.submit("busy", "held");
        assertThat(run("idle", "done")).isEqualTo("DONE");

        assertThat(run("late", "needs room")).isEqualTo("NEEDS ROOM");
        assertThat(pool.state("busy")).isEqualTo(ModelState.READY);
        assertThat(pool.state("idle")).isEqualTo(ModelState.UNLOADED);

        // a second busy model takes the idle one's room; with both loaded models busy, a third waits, queued
        CountDownLatch otherGate = new CountDownLatch(1);
        model("other", 1, oneWorker(Duration.ZERO), otherGate);
        CompletableFuture<Completed<String>> otherTask = pool.submit("other", "held too");
        await().atMost(WAIT).until(() -> pool.workerPending("other").equals(List.of(1)));
        assertThat(pool.state("late")).isEqualTo(ModelState.UNLOADED);
        CompletableFuture<Completed<String>> waiting = pool.submit("idle", "waits for room");
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> pool.state("idle") == ModelState.LOADING);
        assertThat(waiting).isNotDone();
        assertThat(maintenance.budgetUsedBytes()).isEqualTo(2 * MODEL_BYTES);

        busyGate.countDown();
        assertThat(busyTask.get(10, TimeUnit.SECONDS).output()).isEqualTo("HELD");
        assertThat(waiting.get(10, TimeUnit.SECONDS).output()).isEqualTo("WAITS FOR ROOM");
        assertThat(pool.state("busy")).isEqualTo(ModelState.UNLOADED);
        assertThat(pool.state("other")).isEqualTo(ModelState.READY);
        otherGate.countDown();
        assertThat(otherTask.get(10, TimeUnit.SECONDS).output()).isEqualTo("HELD TOO");
        assertThat(overBudget).isEmpty();
    }

    @Test
    void aModelLargerThanTheWholeBudgetFailsItsLoadInsteadOfWaitingForever() throws Exception {
        maintain(MODEL_BYTES);
        model("huge", new MaintenancePolicy(1, 1, Duration.ZERO, 2 * MODEL_BYTES));

        CompletableFuture<Completed<String>> task = pool.submit("huge", "x");

        assertThatThrownBy(() -> task.get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error().describe())
                                .contains("'huge' failed to load")
                                .contains("more than the whole memory budget"));
        assertThat(opensOf("huge")).isZero();
    }

    @Test
    void duringShutdownMaintenanceNeitherScalesNorUnloadsADrainingModel() throws Exception {
        maintain(Long.MAX_VALUE);
        CountDownLatch gate = new CountDownLatch(1);
        model("draining", 1, new MaintenancePolicy(1, 4, Duration.ofMillis(1), MODEL_BYTES), gate);
        List<CompletableFuture<Completed<String>>> queued = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            queued.add(pool.submit("draining", "task-" + i));
        }
        assertThat(pool.awaitLoaded("draining", WAIT)).isEqualTo(ModelState.READY);

        pool.beginShutdown();
        int atShutdown = pool.workers("draining");

        // ten tasks wait behind a blocked run, yet no worker is added while they drain
        await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> pool.workers("draining") == atShutdown);
        gate.countDown();
        assertThat(pool.awaitDrained(WAIT)).isTrue();
        assertThat(queued).allSatisfy(f -> assertThat(f).isCompleted().isNotCompletedExceptionally());
        // drained and idle far longer than its idle-unload time, the model stays loaded until the pool closes
        await().during(Duration.ofMillis(100))
                .atMost(WAIT)
                .until(() -> pool.state("draining") == ModelState.READY && pool.workers("draining") == atShutdown);
    }

    @Test
    void aLoadStillWaitingForRoomWhenShutdownBeginsFailsItsTasksAtOnce() throws Exception {
        maintain(MODEL_BYTES);
        CountDownLatch gate = new CountDownLatch(1);
        model("holder", 1, oneWorker(Duration.ZERO), gate);
        model("waiter", oneWorker(Duration.ZERO));
        CompletableFuture<Completed<String>> held = pool.submit("holder", "held");
        CompletableFuture<Completed<String>> waiting = pool.submit("waiter", "never starts");
        assertThat(pool.state("waiter")).isEqualTo(ModelState.LOADING);

        pool.beginShutdown();

        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
                .cause()
                .isInstanceOfSatisfying(
                        PoolRejectedException.class,
                        e -> assertThat(e.error()).isEqualTo(new PoolError.ShuttingDown("waiter")));
        gate.countDown();
        assertThat(held.get(10, TimeUnit.SECONDS).output()).isEqualTo("HELD");
        assertThat(opensOf("waiter")).isZero();
    }

    @Test
    void awaitLoadedLoadsAnUnloadedModelForWarmUp() throws Exception {
        model("warm", oneWorker(Duration.ZERO));

        assertThat(pool.awaitLoaded("warm", WAIT)).isEqualTo(ModelState.READY);
        assertThat(opensOf("warm")).isEqualTo(1);
        assertThat(pool.workers("warm")).isEqualTo(1);
    }

    @Test
    void closeStopsTheMaintenanceThreadAndNothingIsUnloadedAfterBeginShutdown() throws Exception {
        java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
        PoolMaintenance maintenance = maintain(Long.MAX_VALUE);
        Thread thread = await().atMost(WAIT)
                .until(
                        () -> Thread.getAllStackTraces().keySet().stream()
                                .filter(t -> t.getName().equals("modelpool-maintenance") && !before.contains(t))
                                .findFirst()
                                .orElse(null),
                        java.util.Objects::nonNull);
        model("kept", oneWorker(Duration.ofMillis(1)));

        maintenance.beginShutdown();
        assertThat(run("kept", "x")).isEqualTo("X");
        await().during(Duration.ofMillis(100)).atMost(WAIT).until(() -> pool.state("kept") == ModelState.READY);
        maintenance.close();

        await().atMost(WAIT).until(() -> !thread.isAlive());
        assertThat(pool.state("kept")).isEqualTo(ModelState.READY);
    }

    /** Records load events as "loaded m", "failed m: reason", "unloaded m: REASON". */
    static final class Events implements LoadObserver {
        final List<String> log = new CopyOnWriteArrayList<>();

        @Override
        public void loaded(String model, long loadNanos) {
            log.add("loaded " + model);
        }

        @Override
        public void loadFailed(String model, String reason, long loadNanos) {
            log.add("failed " + model + ": " + reason);
        }

        @Override
        public void unloaded(String model, UnloadReason reason) {
            log.add("unloaded " + model + ": " + reason);
        }

        long count(String prefix) {
            return log.stream().filter(e -> e.startsWith(prefix + " ")).count();
        }
    }
}
