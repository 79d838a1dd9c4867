package io.modelpool.worker.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.DoubleSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.common.TopicPartition;

/**
 * Keeps room in the work budget for interactive requests: bulk records (batch jobs) are dispatched only while the
 * estimated work in flight is under {@value #BULK_SHARE_OF_BUDGET} of {@link Admission}'s budget; interactive records
 * may fill all of it.
 *
 * <p>Without it a large job keeps the work in flight at the budget, {@link Admission} pauses every partition there
 * and resumes them only at half of it, and an interactive request waits in Kafka for seconds of bulk work. With it
 * bulk work alone never reaches the budget, so partitions are not paused wholesale: a partition whose next record
 * is bulk while bulk is at its share is rewound to that record and paused alone ("held"), and the others keep
 * delivering. Held partitions resume as soon as the work has fallen under the share, so a partition moves on to
 * the interactive records behind its bulk ones within a batch's time. The pool's queue then serves the interactive
 * tasks first ({@code AgingQueue}).
 *
 * <p>Bulk is never starved at intake: a partition held for {@link #AGING_MILLIS} ms takes its next bulk record
 * whatever the estimate (aging), so interactive load can delay bulk but not stop it; {@link Admission}'s own bounds
 * still apply to every record.
 *
 * <p>The gate is open while no interactive record has been taken for {@link #INTERACTIVE_WINDOW_MILLIS} ms, so a
 * worker serving only batch jobs gives them the whole budget.
 *
 * <p><b>The bulk lane.</b> Batch jobs produce to {@code <request topic>.bulk} ({@code Topics.bulkRequests}), so their
 * backlog never sits in a partition ahead of an interactive request. The partitions of those topics are the bulk
 * lane: they pause whenever {@link Admission} is at its bounds (interactive partitions then go on into the
 * {@link InteractiveReserve}), and while interactive records wait in Kafka (consumer lag on an interactive
 * partition), so the next fetch brings the interactive records and not another megabyte of bulk ones
 * ({@link #holdsBulkLane}). That hold ages too: after {@link #AGING_MILLIS} ms the lane is open for one turn, whatever
 * waits. Bulk work already in the pools keeps running meanwhile, and the pool's queue gives it its minimum share.
 * <b>Minimum share.</b> While the bulk lane has fewer than its minimum of records in flight (a tenth of
 * {@code backpressure.high-water}), none of these holds applies and its records are admitted within the interactive
 * reserve, which interactive records then leave to them (they keep the plain bounds while bulk records wait
 * below the minimum): the pool's queue then serves them at least a tenth of its takes ({@code PriorityPolicy}), so a steady
 * interactive stream that keeps every bound reached slows bulk work but never stops it.
 * A bulk record refused at the admission bounds holds its partition ({@link #holdAtBound}) until admission resumes,
 * so a partition whose head is bulk is not fetched, decoded and rewound on every turn; this is what happens to jobs
 * that older clients still produce to the interactive topic.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class BulkGate {

    /** The share of the work budget that bulk work may fill. */
    static final double BULK_SHARE_OF_BUDGET = 0.5;
    /** After this long held, a partition's bulk record goes anyway. */
    static final long AGING_MILLIS = 2_000;

    private final DoubleSupplier workSeconds;
    private final double bulkBudgetSeconds;
    private final LongSupplier clockMillis;
    private final IntSupplier bulkInFlight;
    private final int minBulkInFlight;
    /** With no interactive record taken for this long, bulk may fill the whole budget. */
    static final long INTERACTIVE_WINDOW_MILLIS = 10_000;

    private final Map<TopicPartition, Long> heldSince = new HashMap<>();
    /** When an interactive record was last taken; null before the first. */
    private Long interactiveTakenAt;
    /** Since when the bulk lane is held for waiting interactive records; null while it is not. */
    private Long laneHeldSince;
    /** Partitions whose head is a bulk record that the admission bounds refused: held until admission resumes. */
    private final Set<TopicPartition> atBound = new HashSet<>();

    /**
     * @param workSeconds   the pools' estimated seconds of work queued and running
     * @param budgetSeconds {@link Admission#budgetSeconds()}
     * @param clockMillis   the time, for aging
     */
    BulkGate(DoubleSupplier workSeconds, double budgetSeconds, LongSupplier clockMillis) {
        this(workSeconds, budgetSeconds, clockMillis, () -> Integer.MAX_VALUE, 0);
    }

    /**
     * @param bulkInFlight    records of the bulk lane in flight
     * @param minBulkInFlight below this many, the bulk lane is never held (its minimum share)
     */
    BulkGate(
            DoubleSupplier workSeconds,
            double budgetSeconds,
            LongSupplier clockMillis,
            IntSupplier bulkInFlight,
            int minBulkInFlight) {
        this.workSeconds = workSeconds;
        this.bulkBudgetSeconds = budgetSeconds * BULK_SHARE_OF_BUDGET;
        this.clockMillis = clockMillis;
        this.bulkInFlight = bulkInFlight;
        this.minBulkInFlight = minBulkInFlight;
    }

    /**
     * Whether the bulk lane has fewer records in flight than its minimum share: its records are then admitted within
     * the interactive reserve and never held, so interactive load can slow bulk work but never stop it.
     */
    boolean belowMinimum() {
        return minBulkInFlight > 0 && bulkInFlight.getAsInt() < minBulkInFlight;
    }

    /**
     * Whether a bulk record at the head of {@code tp} may be dispatched now; when not, the partition is held
     * (the caller rewinds it to the record) until {@link #holds} finds room or the hold ages.
     *
     * @param unfinished the records in flight; with none, bulk always goes
     */
    boolean admitsBulk(TopicPartition tp, int unfinished) {
        Long since = heldSince.get(tp);
        if (unfinished == 0
                || !interactiveRecently()
                || workSeconds.getAsDouble() < bulkBudgetSeconds
                || since != null && clockMillis.getAsLong() - since >= AGING_MILLIS) {
            heldSince.remove(tp);
            return true;
        }
        if (since == null) {
            heldSince.put(tp, clockMillis.getAsLong());
        }
        return false;
    }

    /** An interactive record (or any record not held back) was taken from {@code tp}: it is not held. */
    void taken(TopicPartition tp) {
        heldSince.remove(tp);
        interactiveTakenAt = clockMillis.getAsLong();
    }

    private boolean interactiveRecently() {
        return interactiveTakenAt != null && clockMillis.getAsLong() - interactiveTakenAt < INTERACTIVE_WINDOW_MILLIS;
    }

    /** A bulk record at the head of {@code tp} was refused at the admission bounds: hold it until they resume. */
    void holdAtBound(TopicPartition tp) {
        atBound.add(tp);
    }

    /**
     * Whether the bulk lane is held now, once per turn: while {@code interactiveWaiting} (interactive records lie in
     * Kafka untaken), for up to {@link #AGING_MILLIS} ms at a time; then it is open for a turn (aging).
     */
    boolean holdsBulkLane(boolean interactiveWaiting) {
        if (!interactiveWaiting) {
            laneHeldSince = null;
            return false;
        }
        long now = clockMillis.getAsLong();
        if (laneHeldSince == null) {
            laneHeldSince = now;
            return true;
        }
        if (now - laneHeldSince >= AGING_MILLIS) {
            laneHeldSince = null; // aged: open for this turn, held anew from the next
            return false;
        }
        return true;
    }

    /**
     * Ends the holds at the admission bounds once admission no longer pauses ({@code admissionPaused} false), and
     * says whether {@code tp} is held there.
     */
    boolean holdsAtBound(TopicPartition tp, boolean admissionPaused) {
        if (!admissionPaused) {
            atBound.clear();
            return false;
        }
        return atBound.contains(tp);
    }

    /** Forgets revoked partitions. */
    void forget(Collection<TopicPartition> gone) {
        atBound.removeAll(gone);
        heldSince.keySet().removeAll(gone);
    }

    /** Whether {@code tp} is held: its next record is bulk and waits for room. Its hold ends when there is room. */
    boolean holds(TopicPartition tp) {
        Long since = heldSince.get(tp);
        if (since == null) {
            return false;
        }
        if (workSeconds.getAsDouble() < bulkBudgetSeconds || clockMillis.getAsLong() - since >= AGING_MILLIS) {
            return false; // resumed, to be fetched again; admitsBulk takes it or holds it anew
        }
        return true;
    }
}
