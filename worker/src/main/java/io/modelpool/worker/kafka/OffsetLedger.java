package io.modelpool.worker.kafka;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Which consumed offsets are finished, and how far each partition may be committed.
 *
 * <p>Records complete out of order (a short text finishes before a long one fetched earlier), but Kafka commits a
 * single position per partition, meaning "everything before this is done". The ledger therefore keeps, per
 * partition, the set of offsets that were dispatched and are not yet done; the commit position is the smallest such
 * offset, or one past the highest dispatched offset when nothing is outstanding. That is the contiguous done prefix:
 * the committed position never passes an unfinished record, whatever order completions arrive in. Offsets need not
 * be contiguous (compaction and transaction markers leave gaps); only dispatched offsets count.
 *
 * <p>"Done" means the record's outcome (result, error result or dead letter) was acknowledged by the broker, not
 * merely computed. Callers mark done from producer acknowledgements.
 *
 * <p>A partition that is revoked and later assigned again starts a new epoch. {@link #register} returns the epoch,
 * and {@link #markDone} ignores acknowledgements from an older epoch, so a late acknowledgement of work done before
 * a revocation can never mark a re-fetched record of the same offset done.
 *
 * <p>Not thread-safe: owned by the intake thread, like the consumer.
 */
final class OffsetLedger {

    private static final class PartitionState {
        final long epoch;
        final TreeSet<Long> outstanding = new TreeSet<>();
        long nextAfterHighest = -1;
        long committed = -1;

        PartitionState(long epoch) {
            this.epoch = epoch;
        }
    }

    private long nextEpoch;

    private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();

    /**
     * Records that {@code offset} was taken from {@code partition} and is now outstanding. Offsets of one partition
     * must be registered in increasing order.
     *
     * @return the partition's current epoch, to pass back to {@link #markDone}
     * @throws IllegalArgumentException if the offset is not above every offset registered before for the partition
     */
    public long register(TopicPartition partition, long offset) {
        PartitionState s = partitions.computeIfAbsent(partition, p -> new PartitionState(nextEpoch++));
        if (offset < s.nextAfterHighest) {
            throw new IllegalArgumentException(
                    "offset " + offset + " of " + partition + " registered after offset " + (s.nextAfterHighest - 1));
        }
        s.outstanding.add(offset);
        s.nextAfterHighest = offset + 1;
        return s.epoch;
    }

    /**
     * Marks an outstanding offset done. Marking an offset the ledger does not hold (its partition was revoked, or
     * it is already done) or one from an older epoch is ignored and returns false, so late acknowledgements are
     * harmless.
     */
    public boolean markDone(TopicPartition partition, long offset, long epoch) {
        PartitionState s = partitions.get(partition);
        return s != null && s.epoch == epoch && s.outstanding.remove(offset);
    }

    /**
     * Makes an offset that was marked done outstanding again, because the outcome that made it done was lost (an
     * aborted exactly-once transaction): the commit position falls back to it until it is marked done again.
     * Ignored, returning false, for an older epoch, an offset never registered, one still outstanding, or one
     * already committed.
     */
    public boolean reopen(TopicPartition partition, long offset, long epoch) {
        PartitionState s = partitions.get(partition);
        if (s == null || s.epoch != epoch || offset >= s.nextAfterHighest || offset < s.committed) {
            return false;
        }
        return s.outstanding.add(offset);
    }

    /** Whether work registered under {@code epoch} still belongs to the partition's current assignment. */
    public boolean current(TopicPartition partition, long epoch) {
        PartitionState s = partitions.get(partition);
        return s != null && s.epoch == epoch;
    }

    /** The position that may be committed now: every offset below it is done. Empty if nothing was registered. */
    public OptionalLong commitPosition(TopicPartition partition) {
        PartitionState s = partitions.get(partition);
        if (s == null || s.nextAfterHighest < 0) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(s.outstanding.isEmpty() ? s.nextAfterHighest : s.outstanding.first());
    }

    /**
     * Positions that advanced since the last {@link #markCommitted}, ready to hand to {@code commitSync/Async}.
     */
    public Map<TopicPartition, OffsetAndMetadata> pendingCommits() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (Map.Entry<TopicPartition, PartitionState> e : partitions.entrySet()) {
            OptionalLong pos = commitPosition(e.getKey());
            if (pos.isPresent() && pos.getAsLong() > e.getValue().committed) {
                out.put(e.getKey(), new OffsetAndMetadata(pos.getAsLong()));
            }
        }
        return out;
    }

    /** Notes that these positions were handed to Kafka, so they are not offered again. */
    public void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, om) -> {
            PartitionState s = partitions.get(tp);
            if (s != null && om.offset() > s.committed) {
                s.committed = om.offset();
            }
        });
    }

    /**
     * Undoes {@link #markCommitted} for partitions whose commit failed, so their positions are offered again by
     * {@link #pendingCommits}.
     */
    public void forgetCommitted(Collection<TopicPartition> failed) {
        failed.forEach(tp -> {
            PartitionState s = partitions.get(tp);
            if (s != null) {
                s.committed = -1;
            }
        });
    }

    /** Outstanding offsets of one partition. */
    public int outstanding(TopicPartition partition) {
        PartitionState s = partitions.get(partition);
        return s == null ? 0 : s.outstanding.size();
    }

    /** Outstanding offsets over every partition. */
    public int outstanding() {
        int n = 0;
        for (PartitionState s : partitions.values()) {
            n += s.outstanding.size();
        }
        return n;
    }

    /** Forgets partitions (revoked or lost): later acknowledgements for them are ignored. */
    public void forget(Collection<TopicPartition> gone) {
        gone.forEach(partitions::remove);
    }

    /** Whether the ledger tracks the partition. */
    public boolean tracks(TopicPartition partition) {
        return partitions.containsKey(partition);
    }
}
