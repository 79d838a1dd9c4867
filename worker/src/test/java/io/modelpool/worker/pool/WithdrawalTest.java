package io.modelpool.worker.pool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Work withdrawn by its submitter while queued is failed with {@link PoolError.Withdrawn} and never run; work whose
 * batch has started finishes; work submitted outside a withdrawal scope is untouched. Opaque string tasks.
 */
class WithdrawalTest {

    private static final String MODEL = "m";

    private final ModelPool<String, String> pool = new ModelPool<>("test", String::length);

    @AfterEach
    void closePool() {
        pool.close();
    }

    @Test
    void tasksWithdrawnWhileQueuedFailWithoutRunningAndTheRunningBatchFinishes() throws Exception {
        CountDownLatch gate = new CountDownLatch(1);
        RecordingRunner runner = new RecordingRunner(gate);
        pool.addModel(MODEL, new PoolModelConfig(1, 100, 1, 1_000, Duration.ZERO, 1), worker -> runner);
        assertThat(pool.awaitLoaded(MODEL, Duration.ofSeconds(10))).isEqualTo(ModelState.READY);
        AtomicReference<Withdrawal.Reason> cancel = new AtomicReference<>();
        Withdrawal job = cancel::get;

        CompletableFuture<Completed<String>> running = Withdrawals.during(job, () -> pool.submit(MODEL, "first"));
        assertThat(runner.entered.await(10, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<Completed<String>>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String input = "queued-" + i;
            queued.add(Withdrawals.during(job, () -> pool.submit(MODEL, input)));
        }
        CompletableFuture<Completed<String>> other = pool.submit(MODEL, "other");
        cancel.set(new Withdrawal.Reason(Withdrawal.Kind.CANCELLED, "job j was cancelled"));
        gate.countDown();

        assertThat(running.get(10, TimeUnit.SECONDS).output()).isEqualTo("FIRST");
        assertThat(other.get(10, TimeUnit.SECONDS).output()).isEqualTo("OTHER");
        for (CompletableFuture<Completed<String>> f : queued) {
            assertThat(f)
                    .failsWithin(Duration.ofSeconds(10))
                    .withThrowableOfType(Exception.class)
                    .havingRootCause()
                    .isInstanceOfSatisfying(PoolRejectedException.class, e -> {
                        assertThat(e.error()).isInstanceOf(PoolError.Withdrawn.class);
                        assertThat(((PoolError.Withdrawn) e.error()).reason().kind())
                                .isEqualTo(Withdrawal.Kind.CANCELLED);
                        assertThat(e.getMessage()).contains("job j was cancelled");
                    });
        }
        assertThat(runner.batches).containsExactly(List.of("first"), List.of("other"));
        assertThat(pool.awaitDrained(Duration.ofSeconds(10))).isTrue();
    }

    @Test
    void theScopeEndsWithTheSubmissionAndAThrowingCheckLetsTheTaskRun() throws Exception {
        pool.addModel(MODEL, new PoolModelConfig(1, 100, 4, 1_000, Duration.ZERO, 4), worker -> RecordingRunner.open());
        Withdrawal broken = () -> {
            throw new IllegalStateException("check failed");
        };

        CompletableFuture<Completed<String>> checked = Withdrawals.during(broken, () -> pool.submit(MODEL, "a"));
        CompletableFuture<Completed<String>> after = pool.submit(MODEL, "b");

        assertThat(checked.get(10, TimeUnit.SECONDS).output()).isEqualTo("A");
        assertThat(after.get(10, TimeUnit.SECONDS).output()).isEqualTo("B");
        assertThat(Withdrawals.current()).isNull();
    }

    @Test
    void aTaskAlreadyWithdrawnAtSubmissionNeverRuns() throws Exception {
        RecordingRunner runner = RecordingRunner.open();
        pool.addModel(MODEL, new PoolModelConfig(1, 100, 4, 1_000, Duration.ZERO, 4), worker -> runner);
        Withdrawal expired = () -> new Withdrawal.Reason(Withdrawal.Kind.EXPIRED, "window closed");

        CompletableFuture<Completed<String>> f = Withdrawals.during(expired, () -> pool.submit(MODEL, "late"));

        assertThat(f)
                .failsWithin(Duration.ofSeconds(10))
                .withThrowableOfType(Exception.class)
                .havingRootCause()
                .isInstanceOf(PoolRejectedException.class);
        assertThat(runner.batches).isEmpty();
    }
}
