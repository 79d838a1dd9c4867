package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Exactly once: outcomes leave in offset order per partition ({@link InOrderRelease}) into the open transaction of
 * a {@link TransactionCycle}; an outcome counts as done once sent, because it becomes visible with the transaction's
 * offsets or not at all. The transaction commits when it is {@code transaction.interval-ms} old, holds
 * {@code transaction.max-records} outcomes, or nothing else is in flight; on revocation and at shutdown. An aborted
 * transaction's outcomes go back to the front of the send queue, in order; the package documentation gives the
 * reasoning. A fenced producer or one failed beyond recovery is {@link #fatal()}: the intake stops without
 * committing and the broker aborts the open transaction.
 *
 * <p>Order is kept per partition only: a slow record holds back the later outcomes of its own partition, never
 * those of another.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class ExactlyOnceDelivery implements Delivery {

    private static final Logger log = LoggerFactory.getLogger(ExactlyOnceDelivery.class);

    private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
    private final TransactionCycle transaction;
    private final InFlightTracker tracker;
    private final IntakeListener listener;
    private final Resend resend;
    /** Null while running (a commit is bounded by the producer's {@code max.block.ms}); what is left at shutdown. */
    private final Supplier<Duration> shutdownBudget;

    private final InOrderRelease release = new InOrderRelease();
    private RuntimeException fatal;
    private int lostToFatal;

    ExactlyOnceDelivery(
            org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
            TransactionCycle transaction,
            InFlightTracker tracker,
            IntakeListener listener,
            Resend resend,
            Supplier<Duration> shutdownBudget) {
        this.shutdownBudget = shutdownBudget;
        this.consumer = consumer;
        this.transaction = transaction;
        this.tracker = tracker;
        this.listener = listener;
        this.resend = resend;
    }

    @Override
    public void start() {
        try {
            transaction.init();
        } catch (KafkaException e) {
            stopOnFatal(e);
        }
    }

    @Override
    public void dispatched(InFlight r) {
        release.expect(r.partition, r.offset);
    }

    @Override
    public void computed(InFlight r, Consumer<InFlight> sendable) {
        release.ready(r, sendable);
    }

    @Override
    public void abandoned(InFlight r, Consumer<InFlight> abandon) {
        release.cut(r, abandon);
    }

    @Override
    public boolean keepsPartitionOrder() {
        return true;
    }

    @Override
    public boolean makeRoom() {
        return fatal == null && (!transaction.full() || commit());
    }

    @Override
    public boolean send(ProducerRecord<byte[], byte[]> out, InFlight r) {
        if (fatal != null) {
            tracker.readyFirst(r);
            return false;
        }
        try {
            transaction.send(out, r);
        } catch (KafkaException e) {
            tracker.readyFirst(r);
            settle(transaction.abort(e));
            return false;
        }
        tracker.sent(r);
        tracker.done(r);
        return true;
    }

    @Override
    public void acknowledged(InFlight r) {
        throw new IllegalStateException("exactly once sends without callbacks to the intake: " + r);
    }

    @Override
    public void sendFailed(InFlight r, Throwable error) {
        throw new IllegalStateException("exactly once sends without callbacks to the intake: " + r);
    }

    @Override
    public void maybeCommit(long nowMs, boolean idle) {
        // At once when nothing else is in flight: at light load a result waits for one commit round trip, not for
        // transaction.interval-ms.
        if ((idle && transaction.open()) || transaction.due(nowMs)) {
            commit();
        }
    }

    @Override
    public boolean commitNow(Predicate<TopicPartition> which, Duration budget) {
        // One transaction spans every partition: commit all that is done, so the revoked partitions' outcomes and
        // offsets become visible together before their next owner starts. Bounded by the budget (revocation, shutdown).
        return commit(budget);
    }

    private boolean commit() {
        return commit(shutdownBudget.get());
    }

    /** Commits the open transaction with what is done; within {@code budget} unless it is null. */
    private boolean commit(Duration budget) {
        if (fatal != null) {
            return false;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.pendingCommits();
        if (!transaction.open() && offsets.isEmpty()) {
            return true;
        }
        TransactionCycle.Outcome outcome = budget == null
                ? transaction.commit(offsets, consumer.groupMetadata())
                : transaction.commit(offsets, consumer.groupMetadata(), budget);
        if (outcome instanceof TransactionCycle.Committed c) {
            tracker.committed(offsets);
            for (InFlight r : c.records()) {
                r.reportAcknowledged(listener);
            }
            listener.committed(offsets, c.took());
            return true;
        }
        settle(outcome);
        return false;
    }

    /** After an abort the outcomes go back to be sent again; after a fatal failure the intake stops. */
    private void settle(TransactionCycle.Outcome outcome) {
        if (outcome instanceof TransactionCycle.Fatal f) {
            lostToFatal = f.records().size();
            stopOnFatal(f.cause());
        } else if (outcome instanceof TransactionCycle.Aborted a) {
            List<InFlight> reopened = new ArrayList<>();
            for (InFlight r : a.records()) {
                if (tracker.reopen(r)) {
                    reopened.add(r);
                }
            }
            resend.aborted(reopened, a.cause());
        }
    }

    private void stopOnFatal(RuntimeException e) {
        if (fatal != null) {
            return;
        }
        fatal = e;
        if (TransactionCycle.isFenced(e)) {
            log.error(
                    "Producer fenced: another worker instance with this transactional id or group instance id has "
                            + "started ({}); stopping without committing: the open transaction is aborted and its records "
                            + "go to the new owner",
                    e.toString());
        } else {
            log.error(
                    "Transactional producer failed beyond recovery ({}); stopping without committing: the open "
                            + "transaction is aborted by the broker and its records are processed again",
                    TransactionCycle.describe(e));
        }
    }

    @Override
    public int awaitingAcknowledgement() {
        return 0;
    }

    @Override
    public void forget(Collection<TopicPartition> gone) {
        release.forget(gone);
    }

    @Override
    public void lost(Collection<TopicPartition> gone) {
        release.forget(gone);
        if (transaction.open() && fatal == null) {
            // The open transaction may hold outcomes of the lost partitions, whose offsets this member can no longer
            // commit. Abort it; outcomes of partitions still held are sent again in the next one.
            settle(transaction.abort(new KafkaException("partitions lost: " + gone)));
        }
    }

    @Override
    public RuntimeException fatal() {
        return fatal;
    }

    @Override
    public int lostToFatal() {
        return lostToFatal;
    }
}
