package io.modelpool.worker.kafka;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import java.time.Duration;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the intake may dispatch one more record now, and whether its partitions should be paused: the one place
 * that decides how much work is in flight.
 *
 * <p>Three bounds, each with hysteresis ({@link Backpressure} for the count):
 * <ul>
 *   <li><b>Seconds of work.</b> The pools estimate the work in flight in seconds: every task's cost in its
 *       capability's unit times the rate its model learned from completed batches, divided by the model's parallel
 *       workers. Dispatching stops while that estimate is at the budget, {@code backpressure.work-budget-share}
 *       (default {@value #DEFAULT_WORK_BUDGET_SHARE}) of {@code shutdown.drain-timeout-ms}, so what is in flight can
 *       finish inside the drain whatever the mix: short sentences, 256-token chunks or requests of many texts.
 *       Partitions pause there and resume when the estimate has fallen to half the budget. The rest of the drain is
 *       the safety margin for an estimate that is low (a rate learned on shorter inputs, a slower machine). Before a
 *       model's rate is known its work counts as infinite, so admission is conservative, one record at a time, until
 *       its first batch completes. A share of 0 turns this bound off: the record and byte bounds alone remain (the
 *       admission before work was counted).</li>
 *   <li><b>Records.</b> {@code backpressure.high-water} unfinished records (dispatched, not yet done) stay an upper
 *       bound, for memory and for outcomes waiting on the broker.</li>
 *   <li><b>Bytes.</b> {@code backpressure.max-in-flight-bytes}: the request bytes (record values as read from Kafka)
 *       of the records handed to capabilities whose outcome has not come back, the decoded requests the pools hold.
 *       Partitions pause there and resume at half of it.</li>
 * </ul>
 * Interactive records (read from a request topic, not its {@code .bulk} sibling) may go beyond the record and work
 * bounds by an {@link InteractiveReserve} ({@link #admitsInteractive}), so a batch job that keeps admission at its
 * bounds never makes an interactive request wait in Kafka; the byte bound, which is about memory, has no reserve.
 * When nothing is unfinished the next record is always admitted, so a task whose estimate alone exceeds the budget
 * (or whose bytes exceed the byte bound) still runs, alone, and its partition moves; the first such task of each
 * model is logged. When several partitions are assigned, one may hold at most half of the record bound: a slow
 * record at a partition's head then pauses that partition alone.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class Admission {

    private static final Logger log = LoggerFactory.getLogger(Admission.class);

    /** The default share of the drain timeout that the estimated work in flight may fill. */
    static final double DEFAULT_WORK_BUDGET_SHARE = 0.5;

    private final int highWater;
    private final int perPartition;
    private final Backpressure backpressure;
    private final DoubleSupplier workSeconds;
    private final LongSupplier bytesInFlight;
    private final boolean byWork;
    private final double budgetSeconds;
    private final double share;
    private final long maxBytes;
    private final int reserveRecords;
    private final double reserveSeconds;
    private final Set<String> loggedAlone = new HashSet<>();
    private boolean workPaused;
    private boolean bytesPaused;

    /** The bounds of {@code settings}: its high- and low-water marks, byte bound, drain timeout and budget share. */
    Admission(IntakeSettings settings, DoubleSupplier workSeconds, LongSupplier bytesInFlight) {
        this(
                settings.highWater(),
                settings.lowWater(),
                settings.maxInFlightBytes(),
                workSeconds,
                bytesInFlight,
                settings.drainTimeout(),
                settings.workBudgetShare(),
                settings.interactiveReserve());
    }

    /** Bounds without an interactive reserve. */
    Admission(
            int highWater,
            int lowWater,
            long maxBytes,
            DoubleSupplier workSeconds,
            LongSupplier bytesInFlight,
            Duration drainTimeout,
            double share) {
        this(
                highWater,
                lowWater,
                maxBytes,
                workSeconds,
                bytesInFlight,
                drainTimeout,
                share,
                new InteractiveReserve(0, 0));
    }

    /**
     * @param maxBytes      request bytes the pools may hold at most ({@code backpressure.max-in-flight-bytes})
     * @param workSeconds   the pools' estimated seconds of work queued and running (may be +Inf while a rate is
     *                      unknown); read on the intake thread
     * @param bytesInFlight the request bytes of the records whose outcome has not come back yet
     * @param share         the share of {@code drainTimeout} the work may fill, in [0, 1]; 0 counts no work
     * @param reserve       what interactive records may take beyond the record and work bounds; its share and
     *                      {@code share} together at most 1
     */
    Admission(
            int highWater,
            int lowWater,
            long maxBytes,
            DoubleSupplier workSeconds,
            LongSupplier bytesInFlight,
            Duration drainTimeout,
            double share,
            InteractiveReserve reserve) {
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException("the work budget's share of the drain must be in [0, 1], got " + share);
        }
        if (share + reserve.share() > 1 + 1e-9) {
            throw new IllegalArgumentException("the work budget's share (" + share + ") and the interactive reserve's ("
                    + reserve.share() + ") must not exceed the drain timeout together");
        }
        if (maxBytes < 1) {
            throw new IllegalArgumentException("the byte bound must be positive, got " + maxBytes);
        }
        this.highWater = highWater;
        this.perPartition = Math.max(1, highWater / 2);
        this.backpressure = new Backpressure(highWater, lowWater);
        this.workSeconds = workSeconds;
        this.bytesInFlight = bytesInFlight;
        this.maxBytes = maxBytes;
        this.share = share;
        this.byWork = share > 0;
        this.budgetSeconds = drainTimeout.toNanos() / 1e9 * share;
        this.reserveRecords = reserve.records();
        this.reserveSeconds = drainTimeout.toNanos() / 1e9 * reserve.share();
    }

    /** Whether one more record may be dispatched while {@code unfinished} are. */
    boolean admits(int unfinished) {
        return unfinished == 0
                || (unfinished < highWater
                        && bytesInFlight.getAsLong() < maxBytes
                        && (!byWork || workSeconds.getAsDouble() < budgetSeconds));
    }

    /**
     * Whether one more interactive record may be dispatched while {@code unfinished} are: the bounds of
     * {@link #admits} widened by the interactive reserve (the byte bound stays).
     */
    boolean admitsInteractive(int unfinished) {
        return unfinished == 0 || interactiveRoom(unfinished);
    }

    /** Whether the interactive reserve has room: interactive partitions then stay unpaused while bulk waits. */
    boolean interactiveRoom(int unfinished) {
        return unfinished < highWater + reserveRecords
                && bytesInFlight.getAsLong() < maxBytes
                && (!byWork || workSeconds.getAsDouble() < budgetSeconds + reserveSeconds);
    }

    /** The bulk lane's minimum share of the records in flight: a tenth of the high-water mark, at least 1. */
    int minBulkInFlight() {
        return Math.max(1, highWater / 10);
    }

    /**
     * A record of {@code model} was dispatched while nothing else was unfinished: when the estimated work is now over
     * the budget, this one task's estimate alone exceeds it. Says so once per model, so an operator learns why that
     * model's records go one at a time and why its drains may run out (raise the drain timeout, or send smaller
     * requests). Silent while the model's rate is unknown (its work counts as infinite until a batch completed).
     */
    void dispatchedAlone(Capability capability, String model) {
        if (!byWork) {
            return;
        }
        double work = workSeconds.getAsDouble();
        if (Double.isFinite(work) && work >= budgetSeconds && loggedAlone.add(capability + "/" + model)) {
            log.warn(String.format(
                    Locale.ROOT,
                    "A %s request for model '%s' is estimated at %.2f s of work, over the "
                            + "work budget of %.2f s (backpressure.work-budget-share %s of shutdown.drain-timeout-ms): such a "
                            + "request is admitted alone and may not finish within a drain; raise the drain timeout or send "
                            + "smaller requests (logged once per model)",
                    Topics.name(capability),
                    model,
                    work,
                    budgetSeconds,
                    share));
        }
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
        double work = unfinished == 0 || !byWork ? 0 : workSeconds.getAsDouble();
        if (!workPaused && byWork && work >= budgetSeconds) {
            workPaused = true;
        } else if (workPaused && work <= budgetSeconds / 2) {
            workPaused = false;
        }
        long bytes = unfinished == 0 ? 0 : bytesInFlight.getAsLong();
        if (!bytesPaused && bytes >= maxBytes) {
            bytesPaused = true;
        } else if (bytesPaused && bytes <= maxBytes / 2) {
            bytesPaused = false;
        }
        boolean now = paused();
        return was == now ? Backpressure.Action.NONE : now ? Backpressure.Action.PAUSE : Backpressure.Action.RESUME;
    }

    /** Whether partitions should stay paused for backpressure. */
    boolean paused() {
        return backpressure.paused() || workPaused || bytesPaused;
    }

    /** The budget of estimated work in flight, in seconds; 0 when work is not counted. */
    double budgetSeconds() {
        return budgetSeconds;
    }
}
