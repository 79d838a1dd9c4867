package io.modelpool.worker.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ShutdownCoordinatorTest {

    /** A target whose sequence ends when the test releases it. */
    private static final class Sequence implements ShutdownCoordinator.Target {
        final AtomicInteger begun = new AtomicInteger();
        final CountDownLatch release = new CountDownLatch(1);
        volatile ShutdownCoordinator.Outcome outcome =
                new ShutdownCoordinator.Outcome(Duration.ofMillis(1230), 412, 0, true, false);

        @Override
        public void beginShutdown() {
            begun.incrementAndGet();
        }

        @Override
        public ShutdownCoordinator.Outcome awaitShutdown() throws InterruptedException {
            release.await();
            return outcome;
        }
    }

    @Test
    void theFirstRequestStartsTheSequenceOnceAndACompletedSequenceExitsZero() throws Exception {
        Sequence seq = new Sequence();
        CopyOnWriteArrayList<Integer> halts = new CopyOnWriteArrayList<>();
        ShutdownCoordinator c = new ShutdownCoordinator(seq, Duration.ofSeconds(10), halts::add);
        c.initiate("SIGTERM");
        assertThat(c.initiated()).isTrue();
        assertThat(seq.begun).hasValue(1);
        seq.release.countDown();
        assertThat(c.awaitCompletion()).isZero();
        assertThat(halts).isEmpty();
    }

    @Test
    void aSecondRequestDuringTheDrainHaltsWithStatusOne() {
        Sequence seq = new Sequence();
        CopyOnWriteArrayList<Integer> halts = new CopyOnWriteArrayList<>();
        ShutdownCoordinator c = new ShutdownCoordinator(seq, Duration.ofSeconds(10), halts::add);
        c.initiate("SIGINT");
        c.initiate("SIGINT");
        assertThat(halts).containsExactly(1);
        assertThat(seq.begun).as("the sequence is not started twice").hasValue(1);
        seq.release.countDown();
    }

    @Test
    void aProgrammaticStopAfterASignalDoesNotForceExit() {
        Sequence seq = new Sequence();
        CopyOnWriteArrayList<Integer> halts = new CopyOnWriteArrayList<>();
        ShutdownCoordinator c = new ShutdownCoordinator(seq, Duration.ofSeconds(10), halts::add);
        c.initiate("SIGTERM");
        c.requestStop("local job finished");
        assertThat(halts).isEmpty();
        assertThat(seq.begun).hasValue(1);
        seq.release.countDown();
    }

    @Test
    void theWatchdogHaltsASequenceThatHangsPastItsBudget() {
        Sequence seq = new Sequence();
        CopyOnWriteArrayList<Integer> halts = new CopyOnWriteArrayList<>();
        ShutdownCoordinator c = new ShutdownCoordinator(seq, Duration.ofMillis(100), halts::add);
        c.initiate("SIGTERM");
        await().atMost(Duration.ofSeconds(5)).until(() -> halts.contains(1));
        seq.release.countDown();
    }

    @Test
    void aWorkerThatFailedExitsOneAndAnAbandoningDrainStillExitsZero() throws Exception {
        Sequence failed = new Sequence();
        failed.outcome = new ShutdownCoordinator.Outcome(Duration.ZERO, 0, 3, false, true);
        failed.release.countDown();
        assertThat(new ShutdownCoordinator(failed, Duration.ofSeconds(1), s -> {}).awaitCompletion())
                .isEqualTo(1);

        Sequence abandoning = new Sequence();
        abandoning.outcome = new ShutdownCoordinator.Outcome(Duration.ofSeconds(5), 10, 4, true, false);
        abandoning.release.countDown();
        assertThat(new ShutdownCoordinator(abandoning, Duration.ofSeconds(1), s -> {}).awaitCompletion())
                .isZero();
    }
}
