package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.InvalidPidMappingException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.UnsupportedVersionException;

/**
 * The exactly-once intake's transactions on its one transactional producer: open one lazily with the first outcome
 * of a cycle, send outcomes into it, and close it with the consumed offsets ({@code sendOffsetsToTransaction} with
 * the consumer's group metadata, then {@code commitTransaction}) once it is {@link #due} by age or record count.
 *
 * <p>What a caller learns from {@link #commit} and {@link #abort} is one {@link Outcome}: the transaction committed
 * (its records are done), aborted (its records must be sent again in a later transaction; readers with
 * {@code read_committed} never see the aborted copies), or failed fatally: the producer was fenced by a newer
 * instance with the same {@code transactional.id}, the consumer's static membership was taken over, or the producer
 * is in an unrecoverable state. After a fatal outcome no method may be called again except to close the producer;
 * the transaction left open is aborted by the broker (at once when the new instance initialises, else after
 * {@code transaction.timeout.ms}).
 *
 * <p>A commit that times out (a broker unreachable for {@code max.block.ms}) is retried once; the transaction may or
 * may not have committed, so a second timeout is fatal rather than guessed at.
 *
 * <p>Not thread-safe: every method runs on the intake thread, which alone owns transaction boundaries.
 */
final class TransactionCycle {

    /** How a transaction ended. */
    sealed interface Outcome {
        /** The records that were sent in the transaction, in sending order. */
        List<InFlight> records();
    }

    /** Committed: the records' outcomes and the offsets are visible to read_committed readers. */
    record Committed(List<InFlight> records, Duration took) implements Outcome {}

    /** Aborted: nothing of the transaction is visible; the producer can begin a new one. */
    record Aborted(List<InFlight> records, KafkaException cause) implements Outcome {}

    /** Fenced or otherwise unrecoverable: the producer must be closed and the intake must stop without committing. */
    record Fatal(List<InFlight> records, RuntimeException cause) implements Outcome {
        /** Whether a newer instance took over this worker's transactional id or static group membership. */
        boolean fenced() {
            return isFenced(cause);
        }
    }

    private final Producer<byte[], byte[]> producer;
    private final long intervalMs;
    private final int maxRecords;
    private final List<InFlight> records = new ArrayList<>();
    private boolean open;
    private long openedAtMs;

    TransactionCycle(Producer<byte[], byte[]> producer, Duration interval, int maxRecords) {
        if (interval.isNegative() || interval.isZero() || maxRecords < 1) {
            throw new IllegalArgumentException(
                    "need a positive interval and record count, got " + interval + " and " + maxRecords);
        }
        this.producer = producer;
        this.intervalMs = interval.toMillis();
        this.maxRecords = maxRecords;
    }

    /**
     * Registers the transactional id with the coordinator: fences every older producer with the same id and
     * completes (aborts) the transaction it left open. Call once, before anything else.
     */
    void init() {
        producer.initTransactions();
    }

    /** Whether a transaction is open. */
    boolean open() {
        return open;
    }

    /** Records sent in the open transaction. */
    int size() {
        return records.size();
    }

    /** Whether the open transaction has reached its age or record-count bound and should be committed now. */
    boolean due(long nowMs) {
        return open && (records.size() >= maxRecords || nowMs - openedAtMs >= intervalMs);
    }

    /** Whether the open transaction holds as many records as it may. */
    boolean full() {
        return open && records.size() >= maxRecords;
    }

    /**
     * Sends {@code out}, the outcome of {@code record}, in the open transaction, beginning one first if none is.
     *
     * @throws KafkaException when the producer refuses the send or cannot begin a transaction; pass it to
     *         {@link #abort}
     */
    void send(ProducerRecord<byte[], byte[]> out, InFlight record) {
        if (!open) {
            producer.beginTransaction();
            open = true;
            openedAtMs = System.currentTimeMillis();
        }
        record.sendError = null;
        producer.send(out, (metadata, error) -> {
            if (error != null) {
                record.sendError = error;
            }
        });
        records.add(record);
    }

    /**
     * Commits the open transaction together with {@code offsets}, beginning one if none is open and there are
     * offsets to commit. Blocks until the broker has confirmed (or refused) it.
     */
    Outcome commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        long start = System.nanoTime();
        try {
            if (!open) {
                if (offsets.isEmpty()) {
                    return new Committed(List.of(), Duration.ZERO);
                }
                producer.beginTransaction();
                open = true;
            }
            if (!offsets.isEmpty()) {
                producer.sendOffsetsToTransaction(offsets, group);
            }
        } catch (KafkaException e) {
            return abort(e);
        }
        try {
            commitWithOneRetry();
        } catch (TimeoutException e) {
            return fatal(e);
        } catch (KafkaException e) {
            return abort(e);
        }
        List<InFlight> done = List.copyOf(records);
        reset();
        return new Committed(done, Duration.ofNanos(System.nanoTime() - start));
    }

    /**
     * {@link #commit(Map, ConsumerGroupMetadata)} within {@code budget}: on a helper thread, so a broker that does not
     * answer cannot hold the caller past a revocation's or the shutdown's deadline (the producer's own bound is
     * {@code max.block.ms}, twice with the retry). A commit still running when the budget is spent may or may not
     * commit, so it is {@link Fatal}: the caller stops, the producer is closed, and the broker completes or aborts the
     * transaction; a read_committed reader sees it whole or not at all either way.
     */
    Outcome commit(Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group, Duration budget) {
        List<InFlight> sent = List.copyOf(records);
        FutureTask<Outcome> task = new FutureTask<>(() -> commit(offsets, group));
        Thread thread = new Thread(task, "modelpool-transaction-commit");
        thread.setDaemon(true);
        thread.start();
        try {
            return task.get(Math.max(0, budget.toNanos()), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            return new Fatal(
                    sent,
                    new TimeoutException("the transaction did not commit within " + budget.toMillis()
                            + " ms; it may or may not commit"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Fatal(sent, new InterruptException(e));
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private void commitWithOneRetry() {
        try {
            producer.commitTransaction();
        } catch (TimeoutException e) {
            producer.commitTransaction();
        }
    }

    /**
     * Aborts the open transaction because of {@code cause} (or on purpose, when partitions were lost). Fatal causes
     * are not aborted here: a fenced producer cannot abort; the broker does.
     */
    Outcome abort(KafkaException cause) {
        if (isFatal(cause)) {
            return fatal(cause);
        }
        List<InFlight> lost = List.copyOf(records);
        boolean wasOpen = open;
        reset();
        if (!wasOpen) {
            return new Aborted(lost, cause);
        }
        try {
            producer.abortTransaction();
            return new Aborted(lost, cause);
        } catch (KafkaException | IllegalStateException e) {
            e.addSuppressed(cause);
            return new Fatal(lost, e);
        }
    }

    private Outcome fatal(RuntimeException cause) {
        List<InFlight> lost = List.copyOf(records);
        reset();
        return new Fatal(lost, cause);
    }

    private void reset() {
        records.clear();
        open = false;
    }

    /** Errors after which the producer must be closed, per the KafkaProducer contract, or the member must stop. */
    static boolean isFatal(Throwable e) {
        return isFenced(e)
                || causedBy(e, OutOfOrderSequenceException.class)
                || causedBy(e, AuthorizationException.class)
                || causedBy(e, UnsupportedVersionException.class);
    }

    /**
     * Whether {@code e} says a newer instance took over the transactional id or the static group membership: a
     * fencing exception, or the coordinator's answer that the transactional id is no longer mapped to this producer
     * id ({@link InvalidPidMappingException}; a live worker's id does not expire, so another instance registered
     * it). Searched through causes and suppressed exceptions: the producer reports the failure that put it in its
     * error state as the cause of what later calls throw, and {@link #abort} keeps the first failure as suppressed.
     */
    static boolean isFenced(Throwable e) {
        return causedBy(e, ProducerFencedException.class)
                || causedBy(e, FencedInstanceIdException.class)
                || causedBy(e, InvalidPidMappingException.class);
    }

    /** The exception, its causes (outermost first) and what it suppressed (the failure an abort followed), in a line. */
    static String describe(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (sb.length() > 0) {
                sb.append(", caused by ");
            }
            sb.append(t);
        }
        for (Throwable suppressed : e.getSuppressed()) {
            sb.append("; after ").append(describe(suppressed));
        }
        return sb.toString();
    }

    /** Whether {@code e}, one of its causes or an exception suppressed along the way is a {@code type}. */
    private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
            for (Throwable suppressed : t.getSuppressed()) {
                if (causedBy(suppressed, type)) {
                    return true;
                }
            }
        }
        return false;
    }
}
