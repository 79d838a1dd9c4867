package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * Whether the intake may dispatch one more record now, and whether its partitions should be paused: the one place
 * that decides how much work is in flight.
 *
 * <p>Two bounds, both with hysteresis ({@link Backpressure} for the count):
 * <ul>
 *   <li><b>Seconds of work.</b> The pools estimate the work in flight in seconds: every task's cost in its
 *       capability's unit times the rate its model learned from completed batches, divided by the model's parallel
 *       workers. Dispatching stops while that estimate is at the budget, {@value #WORK_BUDGET_SHARE_OF_DRAIN} of
 *       {@code shutdown.drain-timeout-ms}, so what is in flight can finish inside the drain whatever the mix: short
 *       sentences, 256-token chunks or requests of many texts. Partitions pause there and resume when the estimate
 *       has fallen to half the budget. The other half of the drain is the safety margin for an estimate that is
 *       low (a rate learned on shorter inputs, a slower machine). Before a model's rate is known its work counts as
 *       infinite, so admission is conservative, one record at a time, until its first batch completes.</li>
 *   <li><b>Records.</b> {@code backpressure.high-water} unfinished records (dispatched, not yet done) stay an upper
 *       bound, for memory and for outcomes waiting on the broker.</li>
 * </ul>
 * When nothing is unfinished the next record is always admitted, so a task whose estimate alone exceeds the budget
 * still runs, alone, and its partition moves. When several partitions are assigned, one may hold at most half of
 * the record bound: a slow record at a partition's head then pauses that partition alone.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class Admission {

    /** The share of the drain timeout that the estimated work in flight may fill. */
    static final double WORK_BUDGET_SHARE_OF_DRAIN = 0.5;

    private final int highWater;
    private final int perPartition;
    private final Backpressure backpressure;
    private final DoubleSupplier workSeconds;
    private final double budgetSeconds;
    private boolean workPaused;

    /** The bounds of {@code settings}: its high- and low-water marks and its drain timeout. */
    Admission(IntakeSettings settings, DoubleSupplier workSeconds) {
        this(settings.highWater(), settings.lowWater(), workSeconds, settings.drainTimeout());
    }

    /**
     * @param workSeconds the pools' estimated seconds of work queued and running (may be +Inf while a rate is
     *                    unknown); read on the intake thread
     */
    Admission(int highWater, int lowWater, DoubleSupplier workSeconds, Duration drainTimeout) {
        this.highWater = highWater;
        this.perPartition = Math.max(1, highWater / 2);
        this.backpressure = new Backpressure(highWater, lowWater);
        this.workSeconds = workSeconds;
        this.budgetSeconds = drainTimeout.toNanos() / 1e9 * WORK_BUDGET_SHARE_OF_DRAIN;
    }

    /** Whether one more record may be dispatched while {@code unfinished} are. */
    boolean admits(int unfinished) {
        return unfinished == 0 || (unfinished < highWater && workSeconds.getAsDouble() < budgetSeconds);
    }

    /**
     * Whether a partition holding {@code outstanding} unfinished records must wait (and be paused alone), while
     * {@code assigned} partitions share the bound. A lone partition has all of it.
     */
    boolean partitionFull(int outstanding, int assigned) {
        return assigned > 1 && outstanding >= perPartition;
    }

    /** Observes the unfinished work after a turn; says whether to start or stop pausing. */
    Backpressure.Action observe(int unfinished) {
        boolean was = paused();
        backpressure.observe(unfinished);
        double work = unfinished == 0 ? 0 : workSeconds.getAsDouble();
        if (!workPaused && work >= budgetSeconds) {
            workPaused = true;
        } else if (workPaused && work <= budgetSeconds / 2) {
            workPaused = false;
        }
        boolean now = paused();
        return was == now ? Backpressure.Action.NONE : now ? Backpressure.Action.PAUSE : Backpressure.Action.RESUME;
    }

    /** Whether partitions should stay paused for backpressure. */
    boolean paused() {
        return backpressure.paused() || workPaused;
    }

    /** The budget of estimated work in flight, in seconds. */
    double budgetSeconds() {
        return budgetSeconds;
    }
}
