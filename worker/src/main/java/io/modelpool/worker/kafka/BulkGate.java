package io.modelpool.worker.kafka;

import java.util.HashMap;
import java.util.Map;
import java.util.function.DoubleSupplier;
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
    /** With no interactive record taken for this long, bulk may fill the whole budget. */
    static final long INTERACTIVE_WINDOW_MILLIS = 10_000;

    private final Map<TopicPartition, Long> heldSince = new HashMap<>();
    /** When an interactive record was last taken; null before the first. */
    private Long interactiveTakenAt;

    /**
     * @param workSeconds   the pools' estimated seconds of work queued and running
     * @param budgetSeconds {@link Admission#budgetSeconds()}
     * @param clockMillis   the time, for aging
     */
    BulkGate(DoubleSupplier workSeconds, double budgetSeconds, LongSupplier clockMillis) {
        this.workSeconds = workSeconds;
        this.bulkBudgetSeconds = budgetSeconds * BULK_SHARE_OF_BUDGET;
        this.clockMillis = clockMillis;
    }

    /**
     * Whether a bulk record at the head of {@code tp} may be dispatched now; when not, the partition is held
     * (the caller rewinds it to the record) until {@link #holds} finds room or the hold ages.
     *
     * @param unfinished the records in flight; with none, bulk always goes
     */
    boolean admitsBulk(TopicPartition tp, int unfinished) {
        Long since = heldSince.get(tp);
        if (unfinished == 0 || !interactiveRecently() || workSeconds.getAsDouble() < bulkBudgetSeconds
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
