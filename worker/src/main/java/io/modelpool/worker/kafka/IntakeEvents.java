package io.modelpool.worker.kafka;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * What comes back to the intake from other threads, and what each event does: a capability's outcome or abandoned
 * work (pool threads), a broker's acknowledgement or a failed send (the producer's I/O thread). Posted from any thread;
 * handled on the intake thread, in order.
 *
 * <p>Once a timed-out drain has abandoned the rest ({@link #stopAccepting()}), late outcomes are dropped, not
 * published: their records stay uncommitted for the partition's next owner.
 */
final class IntakeEvents {

    private final LinkedBlockingQueue<IntakeEvent> queue;
    private final InFlightTracker tracker;
    private final Delivery delivery;
    private final Consumer<InFlight> sendable;
    private boolean accepting = true;

    /**
     * @param sendable what to do with an outcome the delivery releases for sending
     */
    IntakeEvents(
            LinkedBlockingQueue<IntakeEvent> queue,
            InFlightTracker tracker,
            Delivery delivery,
            Consumer<InFlight> sendable) {
        this.queue = queue;
        this.tracker = tracker;
        this.delivery = delivery;
        this.sendable = sendable;
    }

    /** Late outcomes are dropped from now on. */
    void stopAccepting() {
        accepting = false;
    }

    /** Handles queued events; waits up to {@code waitMs} for the first one. Returns how many were handled. */
    int handle(long waitMs) {
        int handled = 0;
        try {
            IntakeEvent first = waitMs > 0 ? queue.poll(waitMs, TimeUnit.MILLISECONDS) : queue.poll();
            for (IntakeEvent e = first; e != null; e = queue.poll()) {
                handle(e);
                handled++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return handled;
    }

    private void handle(IntakeEvent event) {
        InFlight r = event.record();
        if (event instanceof IntakeEvent.Computed c) {
            tracker.returned(r);
            if (accepting && tracker.current(r)) {
                r.becomeResult(c.outcome());
                delivery.computed(r, sendable);
            }
        } else if (event instanceof IntakeEvent.Abandoned) {
            tracker.returned(r);
            if (accepting && tracker.current(r)) {
                delivery.abandoned(r, tracker::abandon);
            }
        } else if (event instanceof IntakeEvent.Acknowledged) {
            delivery.acknowledged(r);
        } else if (event instanceof IntakeEvent.PublishFailed f) {
            delivery.sendFailed(r, f.error());
        }
    }
}
