package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At least once: an outcome is sent with a callback; the broker's acknowledgement makes its record done, and the
 * contiguous done prefix of each partition is committed.
 *
 * <p>Commits. While records flow, every {@code commit.interval-ms} one {@code commitAsync} at a time; a position
 * counts as committed only when its callback reports success, so a failed commit is simply carried by the next one.
 * On revocation and at shutdown a {@code commitSync} within the budget given. Outcomes may be sent in any order: the
 * done prefix never passes an unfinished record, and a duplicate after a crash is what at least once allows.
 *
 * <p>Not thread-safe: the intake thread's. The producer callbacks only post events to the intake's queue.
 */
final class AtLeastOnceDelivery implements Delivery {

    private static final Logger log = LoggerFactory.getLogger(AtLeastOnceDelivery.class);

    private final org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final InFlightTracker tracker;
    private final IntakeListener listener;
    private final Queue<IntakeEvent> events;
    private final Resend resend;
    private final long commitIntervalMs;
    private int awaitingAck;
    private boolean asyncCommitInFlight;
    private long lastCommitMs;

    AtLeastOnceDelivery(
            org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            InFlightTracker tracker,
            IntakeListener listener,
            Queue<IntakeEvent> events,
            Resend resend,
            Duration commitInterval) {
        this.consumer = consumer;
        this.producer = producer;
        this.tracker = tracker;
        this.listener = listener;
        this.events = events;
        this.resend = resend;
        this.commitIntervalMs = commitInterval.toMillis();
    }

    @Override
    public void start() {
        // nothing to register: the producer is idempotent, not transactional
    }

    @Override
    public void dispatched(InFlight r) {
        // outcomes leave in any order
    }

    @Override
    public void computed(InFlight r, Consumer<InFlight> sendable) {
        sendable.accept(r);
    }

    @Override
    public void abandoned(InFlight r, Consumer<InFlight> abandon) {
        abandon.accept(r); // later records go on: the commit stops below this one, a duplicate is allowed
    }

    @Override
    public boolean keepsPartitionOrder() {
        return false;
    }

    @Override
    public boolean makeRoom() {
        return true;
    }

    @Override
    public boolean send(ProducerRecord<byte[], byte[]> out, InFlight r) {
        tracker.sent(r);
        awaitingAck++;
        try {
            producer.send(
                    out,
                    (metadata, error) -> events.add(
                            error == null ? new IntakeEvent.Acknowledged(r) : new IntakeEvent.PublishFailed(r, error)));
            return true;
        } catch (KafkaException e) {
            events.add(new IntakeEvent.PublishFailed(r, e));
            return false;
        }
    }

    @Override
    public void acknowledged(InFlight r) {
        awaitingAck--;
        if (tracker.done(r)) {
            r.reportAcknowledged(listener);
        }
    }

    @Override
    public void sendFailed(InFlight r, Throwable error) {
        awaitingAck--;
        if (tracker.current(r)) {
            resend.failed(r, error);
        }
    }

    @Override
    public void maybeCommit(long nowMs, boolean idle) {
        if (nowMs - lastCommitMs < commitIntervalMs || asyncCommitInFlight) {
            // one commit at a time: a later one must not overtake an earlier one that may still fail
            return;
        }
        lastCommitMs = nowMs;
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.pendingCommits();
        if (offsets.isEmpty()) {
            return;
        }
        long start = System.nanoTime();
        asyncCommitInFlight = true;
        try {
            // The callback runs on this thread, inside a later poll or commit.
            consumer.commitAsync(offsets, (committed, error) -> {
                asyncCommitInFlight = false;
                if (error != null) {
                    log.warn(
                            "Offset commit of {} failed: {}; the next commit carries these positions again",
                            offsets.keySet(),
                            error.toString());
                } else {
                    tracker.committed(offsets);
                    listener.committed(offsets, Duration.ofNanos(System.nanoTime() - start));
                }
            });
        } catch (KafkaException e) {
            asyncCommitInFlight = false;
            log.warn(
                    "Offset commit of {} failed: {}; the next commit carries these positions again",
                    offsets.keySet(),
                    e.toString());
        }
    }

    @Override
    public boolean commitNow(Predicate<TopicPartition> which, Duration budget) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(tracker.pendingCommits());
        offsets.keySet().removeIf(which.negate());
        if (offsets.isEmpty()) {
            return true;
        }
        // A wakeup meant for the loop can hit the commit; the commit itself is still wanted, so try once more, within
        // what is left of the same budget.
        long deadline = System.nanoTime() + budget.toNanos();
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                long start = System.nanoTime();
                consumer.commitSync(offsets, Duration.ofNanos(Math.max(0, deadline - start)));
                tracker.committed(offsets);
                listener.committed(offsets, Duration.ofNanos(System.nanoTime() - start));
                return true;
            } catch (WakeupException e) {
                log.debug("Wakeup during the commit of {}; committing again", offsets.keySet());
            } catch (KafkaException e) {
                log.warn(
                        "Committing {} failed: {}; uncommitted records will be processed again by the next owner",
                        offsets,
                        e.toString());
                return false;
            }
        }
        return false;
    }

    @Override
    public int awaitingAcknowledgement() {
        return awaitingAck;
    }

    @Override
    public void forget(Collection<TopicPartition> gone) {
        // acknowledgements of forgotten partitions are ignored by the tracker's epochs
    }

    @Override
    public void lost(Collection<TopicPartition> gone) {
        forget(gone);
    }

    @Override
    public RuntimeException fatal() {
        return null;
    }

    @Override
    public int lostToFatal() {
        return 0;
    }
}
