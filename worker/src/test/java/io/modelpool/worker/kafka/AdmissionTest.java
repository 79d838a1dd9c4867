package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    /** The pools' estimate of the work in flight, in seconds, as the test sets it. */
    private final AtomicReference<Double> work = new AtomicReference<>(0.0);
    /** High water 512, low water 128, a 5 s drain: a budget of 2.5 s of work. */
    private final Admission admission = new Admission(512, 128, work::get, Duration.ofSeconds(5));

    @Test
    void theBudgetIsAShareOfTheDrain() {
        assertThat(admission.budgetSeconds()).isEqualTo(5 * Admission.WORK_BUDGET_SHARE_OF_DRAIN);
    }

    @Test
    void dispatchingStopsWhenTheEstimatedWorkReachesTheBudgetWhateverTheRecordCount() {
        work.set(2.4);
        assertThat(admission.admits(10)).isTrue();
        work.set(2.5); // ten 256-token chunks can be as much work as hundreds of sentences
        assertThat(admission.admits(10)).isFalse();
        work.set(0.1);
        assertThat(admission.admits(511)).isTrue();
        assertThat(admission.admits(512)).as("the record count stays an upper bound").isFalse();
    }

    @Test
    void aLoneTaskIsAdmittedEvenWhenItsEstimateAloneExceedsTheBudget() {
        work.set(Double.POSITIVE_INFINITY);
        assertThat(admission.admits(0)).isTrue();
        assertThat(admission.admits(1)).isFalse();
    }

    @Test
    void beforeAModelsRateIsKnownItsWorkIsInfiniteSoOneRecordGoesAtATime() {
        work.set(Double.POSITIVE_INFINITY); // what the pool reports for work of a model with no completed batch
        assertThat(admission.observe(1)).isEqualTo(Backpressure.Action.PAUSE);
        assertThat(admission.admits(1)).isFalse();
        assertThat(admission.observe(0)).as("nothing unfinished, nothing to wait for")
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
        assertThat(admission.observe(30)).as("below the budget, above half of it").isEqualTo(Backpressure.Action.NONE);
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
        assertThat(admission.observe(128)).as("the count cleared, the work did not").isEqualTo(Backpressure.Action.NONE);
        work.set(1.0);
        assertThat(admission.observe(100)).isEqualTo(Backpressure.Action.RESUME);
    }
}
