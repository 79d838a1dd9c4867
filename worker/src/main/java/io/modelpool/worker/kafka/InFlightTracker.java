package io.modelpool.worker.kafka;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Every record between dispatch and a committed offset, in one place: its state, the outcomes waiting to be sent,
 * and, through the {@link OffsetLedger}, what may be committed.
 *
 * <p>A record moves {@code DISPATCHED} (handed to its capability, or dead-lettered at once) to {@code COMPUTED} (its
 * outcome is known and waits in the send queue) to {@code SENT} (handed to the producer) to {@code DONE} (at least
 * once: acknowledged by the broker; exactly once: sent in the open transaction, which commits it or not at all). A
 * send that fails puts it back to {@code COMPUTED}; an aborted transaction reopens a {@code DONE} one. A record whose
 * work the shutdown cut is {@code ABANDONED}: it stays outstanding in the ledger, so its offset is never committed,
 * but nothing waits for it any more ({@link #unsettled()}).
 *
 * <p>Assignment epochs: a partition revoked and assigned again starts a new epoch in the ledger, and every method
 * that takes a record ignores one from an older epoch, so a late completion or acknowledgement of work done before a
 * revocation never touches the partition's new records.
 *
 * <p>Not thread-safe: owned by the intake thread.
 */
final class InFlightTracker {

    /** Where a record is on its way to a committed offset. */
    enum State {
        DISPATCHED,
        COMPUTED,
        SENT,
        DONE,
        ABANDONED
    }

    private final OffsetLedger ledger = new OffsetLedger();
    private final ArrayDeque<InFlight> waiting = new ArrayDeque<>();
    private final List<InFlight> abandoned = new ArrayList<>();
    /** Records handed to a capability whose outcome has not come back: the publish gate's sign that more follow. */
    private int computing;
    /** The request bytes (record values) of those records: what the pools hold, for admission's byte bound. */
    private long computingBytes;
    /**
     * Registered records waiting for their writer schema's lookup (parked by the dispatcher): each will have an
     * outcome soon, so for the publish gate they are more to follow, as computing records are.
     */
    private int awaitingLookup;

    /** Registers a consumed record: its partition's current epoch, to build the {@link InFlight} with. */
    long register(TopicPartition partition, long offset) {
        return ledger.register(partition, offset);
    }

    /** The record was handed to its capability; its outcome comes back as {@link #computed}. */
    void computing(InFlight r) {
        r.state = State.DISPATCHED;
        computing++;
        computingBytes += r.requestBytes();
    }

    /** The outcome of {@code r} came back from the pool (whether or not the record is still current). */
    void returned(InFlight r) {
        computing--;
        computingBytes -= r.requestBytes();
    }

    /** Whether the record still belongs to its partition's current assignment. */
    boolean current(InFlight r) {
        return ledger.current(r.partition, r.epoch);
    }

    /** The record's outcome is known and may be sent: it joins the back of the send queue. */
    void ready(InFlight r) {
        r.state = State.COMPUTED;
        waiting.addLast(r);
    }

    /** Back to the front of the send queue (a send that threw; a transaction's outcomes after an abort). */
    void readyFirst(InFlight r) {
        r.state = State.COMPUTED;
        waiting.addFirst(r);
    }

    void sent(InFlight r) {
        r.state = State.SENT;
    }

    /** The record's outcome is acknowledged (or, exactly once, in the open transaction). False for a stale record. */
    boolean done(InFlight r) {
        if (ledger.markDone(r.partition, r.offset, r.epoch)) {
            r.state = State.DONE;
            return true;
        }
        return false;
    }

    /**
     * The record's work was cut by the shutdown: nothing will be published for it and its offset stays outstanding,
     * so no commit passes it and the partition's next owner runs it again. Ignored for a stale record.
     */
    void abandon(InFlight r) {
        if (current(r) && r.state != State.ABANDONED) {
            r.state = State.ABANDONED;
            abandoned.add(r);
        }
    }

    int abandonedCount() {
        return abandoned.size();
    }

    /** Records dispatched and neither done nor abandoned: what a drain waits for. */
    int unsettled() {
        return outstanding() - abandoned.size();
    }

    /** {@link #unsettled()} of the partitions of {@code assignment} that {@code which} accepts. */
    int unsettled(Collection<TopicPartition> assignment, Predicate<TopicPartition> which) {
        int n = outstanding(assignment, which);
        for (InFlight r : abandoned) {
            if (assignment.contains(r.partition) && which.test(r.partition)) {
                n--;
            }
        }
        return n;
    }

    /** Exactly once: the transaction that made the record done was aborted. False when it is no longer current. */
    boolean reopen(InFlight r) {
        return ledger.reopen(r.partition, r.offset, r.epoch);
    }

    /** The send queue, in order; remove through the iterator. */
    Iterator<InFlight> waiting() {
        return waiting.iterator();
    }

    int waitingCount() {
        return waiting.size();
    }

    int computingCount() {
        return computing;
    }

    /** A registered record waits for its writer schema's lookup ({@code +1}) or no longer does ({@code -1}). */
    void awaitingLookup(int delta) {
        awaitingLookup += delta;
    }

    /**
     * Records whose outcome is on its way: handed to a capability, or waiting for a schema lookup. The publish gate
     * groups outcomes only while some are.
     */
    int outcomesToFollow() {
        return computing + awaitingLookup;
    }

    /** The request bytes of the records whose outcome has not come back. */
    long computingBytes() {
        return computingBytes;
    }

    /** Records dispatched and not done, over every partition. */
    int outstanding() {
        return ledger.outstanding();
    }

    int outstanding(TopicPartition partition) {
        return ledger.outstanding(partition);
    }

    int outstanding(Collection<TopicPartition> assignment, Predicate<TopicPartition> which) {
        int n = 0;
        for (TopicPartition tp : assignment) {
            if (which.test(tp)) {
                n += ledger.outstanding(tp);
            }
        }
        return n;
    }

    /** Positions that advanced since they were last confirmed committed. */
    Map<TopicPartition, OffsetAndMetadata> pendingCommits() {
        return ledger.pendingCommits();
    }

    /** The broker confirmed these positions. */
    void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        ledger.markCommitted(offsets);
    }

    /** Forgets partitions (revoked or lost): their queued outcomes are dropped, later events ignored. */
    void forget(Collection<TopicPartition> gone) {
        ledger.forget(gone);
        waiting.removeIf(r -> gone.contains(r.partition));
        abandoned.removeIf(r -> gone.contains(r.partition));
    }
}
