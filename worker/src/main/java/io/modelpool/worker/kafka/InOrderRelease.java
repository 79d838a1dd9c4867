package io.modelpool.worker.kafka;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Lets computed outcomes leave in offset order, per partition: an outcome is released only once the outcomes of
 * every earlier dispatched record of its partition have been released.
 *
 * <p>Why exactly-once needs it: Kafka stores one committed position per partition, "everything below is done". A
 * transaction commits its results together with such positions. If a transaction carried the result of offset 10
 * while offset 5 was still computing, it could only commit position 5; after a crash the next owner would process
 * offset 10 again and publish a second committed result. Releasing in order makes the set of outcomes sent in
 * committed transactions equal, per partition, to the records below the committed position: every committed
 * position has each of its records' outcomes committed with it or before it, and no committed outcome lies at or
 * above it.
 *
 * <p>At-least-once does not need the order (its ledger commits the contiguous acknowledged prefix and a later
 * duplicate is allowed), so only the exactly-once intake uses this.
 *
 * <p>Memory: a held outcome belongs to a dispatched record, and dispatched records are bounded by the intake's
 * high-water mark, so what is held is bounded the same way.
 *
 * <p>Not thread-safe: owned by the intake thread.
 */
final class InOrderRelease {

    private static final class PartitionQueue {
        /** Dispatched offsets whose outcome has not been released yet, in dispatch (increasing) order. */
        final ArrayDeque<Long> expected = new ArrayDeque<>();
        /** Computed outcomes waiting for an earlier offset, by offset. */
        final Map<Long, InFlight> ready = new HashMap<>();
        /** The lowest offset abandoned at shutdown: nothing at or above it is released any more. */
        long cutAt = Long.MAX_VALUE;
        /** Where outcomes at or above {@link #cutAt} go instead of being released. */
        Consumer<InFlight> abandon;
    }

    private final Map<TopicPartition, PartitionQueue> partitions = new HashMap<>();

    /**
     * Notes that {@code offset} of {@code partition} was dispatched; its outcome will be released after those of
     * every offset expected before it. Offsets of one partition must be expected in increasing order.
     *
     * @throws IllegalArgumentException when the offset is not above the last one expected for the partition
     */
    void expect(TopicPartition partition, long offset) {
        PartitionQueue q = partitions.computeIfAbsent(partition, p -> new PartitionQueue());
        Long last = q.expected.peekLast();
        if (last != null && offset <= last) {
            throw new IllegalArgumentException("offset " + offset + " of " + partition + " expected after " + last);
        }
        q.expected.addLast(offset);
    }

    /**
     * Hands in a computed outcome, then releases, in order, every outcome of the partition that no longer waits for
     * an earlier one. An outcome of a record that is not expected (its partition was forgotten) is dropped.
     *
     * @return how many outcomes were released to {@code out}
     */
    int ready(InFlight record, Consumer<InFlight> out) {
        PartitionQueue q = partitions.get(record.partition);
        if (q == null || !q.expected.contains(record.offset)) {
            return 0;
        }
        if (record.offset > q.cutAt) {
            q.expected.remove(record.offset);
            q.abandon.accept(record);
            return 0;
        }
        q.ready.put(record.offset, record);
        int released = 0;
        while (!q.expected.isEmpty()) {
            InFlight next = q.ready.remove(q.expected.peekFirst());
            if (next == null) {
                break;
            }
            q.expected.pollFirst();
            out.accept(next);
            released++;
        }
        return released;
    }

    /**
     * The record's work was abandoned at shutdown: its outcome never comes, so no later outcome of its partition may
     * be released (its transaction would commit results above the position the partition can commit). Hands the
     * record, the later outcomes held and every later one still to come to {@code abandon}.
     */
    void cut(InFlight record, Consumer<InFlight> abandon) {
        PartitionQueue q = partitions.get(record.partition);
        if (q == null || !q.expected.remove(record.offset)) {
            return;
        }
        abandon.accept(record);
        q.cutAt = Math.min(q.cutAt, record.offset);
        q.abandon = abandon;
        q.ready.values().removeIf(held -> {
            if (held.offset > q.cutAt) {
                q.expected.remove(held.offset);
                abandon.accept(held);
                return true;
            }
            return false;
        });
    }

    /** Computed outcomes held back behind an earlier record, over every partition. */
    int held() {
        int n = 0;
        for (PartitionQueue q : partitions.values()) {
            n += q.ready.size();
        }
        return n;
    }

    /** Forgets partitions (revoked or lost): what they hold is dropped, later outcomes for them are ignored. */
    void forget(Collection<TopicPartition> gone) {
        gone.forEach(partitions::remove);
    }
}
