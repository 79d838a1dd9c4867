package io.modelpool.worker.kafka;

import io.modelpool.worker.capability.CapabilityServices;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake's shutdown sequence, on the intake thread once its loop has ended. From the signal: the pools reject
 * new work, dispatching stops and every partition is paused; in-flight work drains until the drain timeout, polling
 * with every partition paused; then publishing, the commit and the client closes share what is left of one deadline
 * (drain plus close timeout, counted from the signal, see {@link CloseBudget}).
 *
 * <p>Work still running when the drain ends is abandoned: not published, not committed, so the partition's next
 * owner processes it again. Records parked on a schema lookup hold no work and are not taken any more: left
 * uncommitted in the same way. After a fenced or fatally failed producer nothing is committed.
 */
final class IntakeShutdown {

    private static final Logger log = LoggerFactory.getLogger(IntakeShutdown.class);

    private final IntakeSettings settings;
    private final CapabilityServices capabilities;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final IntakeListener listener;
    private final InFlightTracker tracker;
    private final Dispatcher dispatcher;
    private final Delivery delivery;
    private final IntakeEvents events;
    private final CloseBudget closeBudget;

    IntakeShutdown(
            IntakeSettings settings,
            CapabilityServices capabilities,
            Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            IntakeListener listener,
            InFlightTracker tracker,
            Dispatcher dispatcher,
            Delivery delivery,
            IntakeEvents events,
            CloseBudget closeBudget) {
        this.settings = settings;
        this.capabilities = capabilities;
        this.consumer = consumer;
        this.producer = producer;
        this.listener = listener;
        this.tracker = tracker;
        this.dispatcher = dispatcher;
        this.delivery = delivery;
        this.events = events;
        this.closeBudget = closeBudget;
    }

    /**
     * Runs the sequence from {@code startNanos} ({@link System#nanoTime()} at the signal); {@code pauseAll} pauses
     * every assigned partition, {@code pump} is one turn of the drain.
     */
    ShutdownReport run(long startNanos, Runnable pauseAll, Drain.Pump pump) {
        long drainDeadline = startNanos + settings.drainTimeout().toNanos();
        closeBudget.shutdownUntil(drainDeadline + settings.closeTimeout().toNanos());
        if (delivery.fatal() != null) {
            return stopWithoutCommitting(startNanos);
        }
        capabilities.beginShutdown();
        dispatcher.stop();
        try {
            pauseAll.run();
        } catch (KafkaException e) {
            log.warn("Pausing partitions at shutdown failed: {}", e.toString());
        }
        log.info(
                "Shutdown: draining {} in-flight requests for up to {} ms",
                tracker.outstanding() - dispatcher.parked(),
                settings.drainTimeout().toMillis());
        Drain.Result drain = Drain.run(() -> tracker.unsettled() - dispatcher.parked(), drainDeadline, pump);
        if (drain.left() > 0) {
            abandonTheRest();
        } else if (tracker.abandonedCount() > 0) {
            log.warn(
                    "{} requests cut at their model's shutdown grace are abandoned: not published, not committed; "
                            + "the next owner of their partitions runs them whole",
                    tracker.outstanding());
        }
        if (dispatcher.parked() > 0) {
            log.info(
                    "{} records waiting on a schema lookup were not taken; left uncommitted for the next owner",
                    dispatcher.parked());
        }
        int abandoned = tracker.outstanding() - dispatcher.parked();
        boolean committed = delivery.commitNow(tp -> true, closeBudget.get());
        if (delivery.fatal() != null) {
            return stopWithoutCommitting(startNanos);
        }
        ClientClose.close(consumer, producer, settings.leaveGroupOnClose(), closeBudget::get);
        ShutdownReport report = new ShutdownReport(
                Duration.ofNanos(System.nanoTime() - startNanos),
                drain.outstandingAtStart() - abandoned,
                abandoned,
                committed);
        listener.shutdown(report);
        return report;
    }

    /** The drain timed out: work still running is abandoned; outcomes already sent may still be acknowledged. */
    private void abandonTheRest() {
        events.stopAccepting();
        int dropped = capabilities.abandon();
        long ackDeadline = System.nanoTime() + closeBudget.get().toNanos() / 2;
        while (delivery.awaitingAcknowledgement() > 0 && System.nanoTime() < ackDeadline) {
            events.handle(Math.max(1, Math.min(10, TimeUnit.NANOSECONDS.toMillis(ackDeadline - System.nanoTime()))));
        }
        if (tracker.outstanding() > dispatcher.parked()) {
            log.warn(
                    "Drain timed out after {} ms: {} requests abandoned ({} pool tasks dropped); they are not "
                            + "committed and will be processed by another worker",
                    settings.drainTimeout().toMillis(),
                    tracker.outstanding() - dispatcher.parked(),
                    dropped);
        }
    }

    /** After a fenced or fatally failed producer: abandon everything, commit nothing, close the clients. */
    private ShutdownReport stopWithoutCommitting(long startNanos) {
        capabilities.beginShutdown();
        dispatcher.stop();
        events.stopAccepting();
        int dropped = capabilities.abandon();
        int abandoned = tracker.outstanding() + delivery.lostToFatal();
        log.warn(
                "Stopping after a fatal producer error: {} requests not committed ({} pool tasks dropped); the next "
                        + "owner of their partitions processes them",
                abandoned,
                dropped);
        ClientClose.close(consumer, producer, settings.leaveGroupOnClose(), closeBudget::get);
        ShutdownReport report =
                new ShutdownReport(Duration.ofNanos(System.nanoTime() - startNanos), 0, abandoned, false, true);
        listener.shutdown(report);
        return report;
    }
}
