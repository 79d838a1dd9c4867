package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.modelpool.v1.Capability;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class AdmissionTest {

    private static final long MAX_BYTES = 1_000_000;

    /** The pools' estimate of the work in flight, in seconds, as the test sets it. */
    private final AtomicReference<Double> work = new AtomicReference<>(0.0);
    /** The request bytes the pools hold, as the test sets them. */
    private final AtomicLong bytes = new AtomicLong();
    /** High water 512, low water 128, 1 MB of requests, a 5 s drain and the default share: 2.5 s of work. */
    private final Admission admission = new Admission(
            512, 128, MAX_BYTES, work::get, bytes::get, Duration.ofSeconds(5), Admission.DEFAULT_WORK_BUDGET_SHARE);

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger admissionLog = (Logger) LoggerFactory.getLogger(Admission.class);

    @BeforeEach
    void captureLog() {
        logged.start();
        admissionLog.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        admissionLog.detachAppender(logged);
    }

    @Test
    void theBudgetIsAShareOfTheDrain() {
        assertThat(admission.budgetSeconds()).isEqualTo(5 * Admission.DEFAULT_WORK_BUDGET_SHARE);
        assertThat(new Admission(512, 128, MAX_BYTES, work::get, bytes::get, Duration.ofSeconds(10), 0.3)
                        .budgetSeconds())
                .isEqualTo(3.0);
    }

    @Test
    void aShareOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> new Admission(512, 128, MAX_BYTES, work::get, bytes::get, Duration.ofSeconds(5), 1.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1.5");
    }

    @Test
    void dispatchingStopsWhenTheEstimatedWorkReachesTheBudgetWhateverTheRecordCount() {
        work.set(2.4);
        assertThat(admission.admits(10)).isTrue();
        work.set(2.5); // ten 256-token chunks can be as much work as hundreds of sentences
        assertThat(admission.admits(10)).isFalse();
        work.set(0.1);
        assertThat(admission.admits(511)).isTrue();
        assertThat(admission.admits(512))
                .as("the record count stays an upper bound")
                .isFalse();
    }

    @Test
    void theRequestBytesHeldStayAnUpperBound() {
        work.set(0.1);
        bytes.set(MAX_BYTES - 1);
        assertThat(admission.admits(3)).isTrue();
        bytes.set(MAX_BYTES);
        assertThat(admission.admits(3))
                .as("a few huge requests fill the byte bound long before 512")
                .isFalse();
        assertThat(admission.admits(0)).as("a lone record is always admitted").isTrue();
    }

    @Test
    void theByteBoundPausesAndResumesAtHalfOfIt() {
        bytes.set(MAX_BYTES);
        assertThat(admission.observe(3)).isEqualTo(Backpressure.Action.PAUSE);
        bytes.set(MAX_BYTES * 3 / 4);
        assertThat(admission.observe(2)).as("below the bound, above half of it").isEqualTo(Backpressure.Action.NONE);
        bytes.set(MAX_BYTES / 2);
        assertThat(admission.observe(1)).isEqualTo(Backpressure.Action.RESUME);
    }

    @Test
    void aShareOfZeroCountsRecordsAndBytesButNoWork() {
        Admission byRecords = new Admission(512, 128, MAX_BYTES, work::get, bytes::get, Duration.ofSeconds(5), 0);
        work.set(Double.POSITIVE_INFINITY);
        assertThat(byRecords.admits(100)).isTrue();
        assertThat(byRecords.observe(100)).isEqualTo(Backpressure.Action.NONE);
        assertThat(byRecords.admits(512)).isFalse();
    }

    @Test
    void aLoneTaskIsAdmittedEvenWhenItsEstimateAloneExceedsTheBudget() {
        work.set(Double.POSITIVE_INFINITY);
        assertThat(admission.admits(0)).isTrue();
        assertThat(admission.admits(1)).isFalse();
    }

    @Test
    void aLoneTaskOverTheBudgetIsLoggedOncePerModel() {
        work.set(1.0);
        admission.dispatchedAlone(Capability.TEXT_TO_TEXT, "small");
        assertThat(logged.list).as("under the budget: nothing to say").isEmpty();
        work.set(Double.POSITIVE_INFINITY);
        admission.dispatchedAlone(Capability.TEXT_TO_TEXT, "unknown-rate");
        assertThat(logged.list)
                .as("an unknown rate is the conservative start, not an oversized task")
                .isEmpty();

        work.set(4.0);
        admission.dispatchedAlone(Capability.TEXT_TO_TEXT, "big");
        admission.dispatchedAlone(Capability.TEXT_TO_TEXT, "big");
        admission.dispatchedAlone(Capability.TEXT_EMBEDDING, "other");
        assertThat(logged.list)
                .hasSize(2)
                .allSatisfy(e -> assertThat(e.getLevel()).isEqualTo(Level.WARN));
        assertThat(logged.list.get(0).getFormattedMessage())
                .contains(
                        "text-to-text request for model 'big'",
                        "4.00 s of work",
                        "work budget of 2.50 s",
                        "admitted alone");
        assertThat(logged.list.get(1).getFormattedMessage()).contains("model 'other'");
    }

    @Test
    void beforeAModelsRateIsKnownItsWorkIsInfiniteSoOneRecordGoesAtATime() {
        work.set(Double.POSITIVE_INFINITY); // what the pool reports for work of a model with no completed batch
        assertThat(admission.observe(1)).isEqualTo(Backpressure.Action.PAUSE);
        assertThat(admission.admits(1)).isFalse();
        assertThat(admission.observe(0))
                .as("nothing unfinished, nothing to wait for")
                .isEqualTo(Backpressure.Action.RESUME);
    }

    @Test
    void partitionsPauseAtTheBudgetAndResumeOnlyAtHalfOfIt() {
        work.set(1.0);
        assertThat(admission.observe(40)).isEqualTo(Backpressure.Action.NONE);
        work.set(2.6);
        assertThat(admission.observe(40)).isEqualTo(Backpressure.Action.PAUSE);
        assertThat(admission.paused()).isTrue();
        work.set(2.0);
        assertThat(admission.observe(30))
                .as("below the budget, above half of it")
                .isEqualTo(Backpressure.Action.NONE);
        assertThat(admission.paused()).isTrue();
        work.set(1.2);
        assertThat(admission.observe(20)).isEqualTo(Backpressure.Action.RESUME);
        assertThat(admission.paused()).isFalse();
    }

    @Test
    void theRecordCountPausesOnItsOwnAndBothMustClearToResume() {
        work.set(0.1);
        assertThat(admission.observe(512)).isEqualTo(Backpressure.Action.PAUSE);
        assertThat(admission.observe(300)).isEqualTo(Backpressure.Action.NONE);
        work.set(3.0);
        assertThat(admission.observe(128))
                .as("the count cleared, the work did not")
                .isEqualTo(Backpressure.Action.NONE);
        work.set(1.0);
        assertThat(admission.observe(100)).isEqualTo(Backpressure.Action.RESUME);
    }

    @Test
    void interactiveRecordsGoOnIntoTheReserveWhileBulkKeepsTheBoundsReached() {
        Admission withReserve = new Admission(
                512,
                128,
                MAX_BYTES,
                work::get,
                bytes::get,
                Duration.ofSeconds(5),
                0.5,
                new InteractiveReserve(64, 0.2));
        work.set(2.6); // over the 2.5 s budget, under the 3.5 s with the reserve

        assertThat(withReserve.admits(512)).as("bulk, at the record bound").isFalse();
        assertThat(withReserve.admitsInteractive(512)).isTrue();
        assertThat(withReserve.admitsInteractive(575)).isTrue();
        assertThat(withReserve.admitsInteractive(576))
                .as("the reserve is bounded too")
                .isFalse();

        work.set(3.5);
        assertThat(withReserve.admitsInteractive(100))
                .as("the reserve's work share is bounded")
                .isFalse();
        assertThat(withReserve.admitsInteractive(0))
                .as("a lone record always goes")
                .isTrue();

        work.set(1.0);
        bytes.set(MAX_BYTES);
        assertThat(withReserve.admitsInteractive(100))
                .as("the byte bound has no reserve")
                .isFalse();
    }

    @Test
    void aReserveThatWouldOverfillTheDrainIsRefused() {
        assertThatThrownBy(() -> new Admission(
                        512,
                        128,
                        MAX_BYTES,
                        work::get,
                        bytes::get,
                        Duration.ofSeconds(5),
                        0.9,
                        new InteractiveReserve(64, 0.2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0.9")
                .hasMessageContaining("0.2");
        assertThat(admission.minBulkInFlight()).isEqualTo(51);
    }
}
