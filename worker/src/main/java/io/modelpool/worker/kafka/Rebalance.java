package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake's answer to a rebalance, called on the intake thread inside {@code poll()}. On revocation the revoked
 * partitions' work gets up to the drain timeout (none once shutdown began) to finish, what finished is committed
 * before the callback returns, and the rest is abandoned: not committed, so the partition's next owner processes it
 * again. Lost partitions are forgotten without committing.
 */
final class Rebalance implements ConsumerRebalanceListener {

    private static final Logger log = LoggerFactory.getLogger(Rebalance.class);

    private final Consumer<byte[], byte[]> consumer;
    private final InFlightTracker tracker;
    private final Delivery delivery;
    private final AtomicBoolean assigned;
    private final Supplier<Duration> drainBudget;
    private final Supplier<Duration> commitBudget;
    private final Drain.Pump pump;
    /** Forgets partitions everywhere; the flag says whether they were lost rather than revoked. */
    private final BiConsumer<Collection<TopicPartition>, Boolean> forget;

    Rebalance(
            Consumer<byte[], byte[]> consumer,
            InFlightTracker tracker,
            Delivery delivery,
            AtomicBoolean assigned,
            Supplier<Duration> drainBudget,
            Supplier<Duration> commitBudget,
            Drain.Pump pump,
            BiConsumer<Collection<TopicPartition>, Boolean> forget) {
        this.consumer = consumer;
        this.tracker = tracker;
        this.delivery = delivery;
        this.assigned = assigned;
        this.drainBudget = drainBudget;
        this.commitBudget = commitBudget;
        this.pump = pump;
        this.forget = forget;
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
        assigned.set(!consumer.assignment().isEmpty());
        if (!partitions.isEmpty()) {
            log.info("Partitions assigned: {}", partitions);
        }
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Set<TopicPartition> revoked = new HashSet<>(partitions);
        if (delivery.fatal() == null) {
            Drain.Result drain = Drain.run(
                    () -> tracker.unsettled(consumer.assignment(), revoked::contains),
                    System.nanoTime() + drainBudget.get().toNanos(),
                    pump);
            delivery.commitNow(revoked::contains, commitBudget.get());
            if (drain.left() > 0) {
                log.warn(
                        "Partitions revoked: {}; {} of {} in-flight requests finished, {} abandoned to the next "
                                + "owner",
                        revoked,
                        drain.finished(),
                        drain.outstandingAtStart(),
                        drain.left());
            } else {
                log.info(
                        "Partitions revoked: {}; {} in-flight requests finished and committed",
                        revoked,
                        drain.finished());
            }
        }
        forget.accept(revoked, false);
        assigned.set(consumer.assignment().size() > revoked.size());
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> partitions) {
        forget.accept(partitions, true);
        assigned.set(false);
        log.warn("Partitions lost (not committed; the next owner processes their records again): {}", partitions);
    }
}
