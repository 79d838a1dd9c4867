package io.modelpool.worker.kafka;

import java.time.Duration;

/**
 * Decides when the outcomes waiting in the intake leave for the broker: at once when nothing else is being
 * computed, otherwise together, after a short linger or once enough of them wait.
 *
 * <p>Why. Outcomes finish one by one (one text per session run in batch-invariant mode), and every send that the
 * producer's I/O thread finds alone becomes its own produce request, broker append, and a fetch response for every
 * reader of the result topic. On a loaded worker that is one request per result, and the broker's CPU competes with
 * inference. Kafka's own {@code linger.ms} would group them too, but it makes every result wait, also the lone
 * result of an idle worker. This gate knows what the producer cannot: whether more outcomes are about to finish.
 * When none is being computed, holding the waiting ones back could only add latency, so they go at once; while
 * others are still computing, they wait up to {@code linger} (or until {@code maxRecords} wait) and leave in one
 * request. This is Nagle's algorithm (RFC 896) with the pool's in-flight count in place of unacknowledged data:
 * group only when more is certain to follow.
 *
 * <p>An interactive outcome (a request without a job, or marked {@code INTERACTIVE}) opens the gate at once: someone
 * waits on it, and under a batch job's load the linger would be most of its latency.
 *
 * <p>Drains, revocations and shutdown publish without asking the gate. Not thread-safe: owned by the intake thread.
 */
final class PublishGate {

    private final long lingerNanos;
    private final int maxRecords;
    /** When the oldest outcome now waiting became ready; meaningful only while some wait. */
    private long oldestNanos;

    private boolean waiting;
    /** An interactive outcome waits: someone waits on it line by line, so nothing lingers. */
    private boolean urgent;

    /**
     * @param linger longest an outcome waits for others while work is still computing; zero publishes each at once
     * @param maxRecords publish as soon as this many outcomes wait
     */
    public PublishGate(Duration linger, int maxRecords) {
        if (linger.isNegative()) {
            throw new IllegalArgumentException("linger must not be negative, was " + linger);
        }
        if (maxRecords < 1) {
            throw new IllegalArgumentException("maxRecords must be at least 1, was " + maxRecords);
        }
        this.lingerNanos = linger.toNanos();
        this.maxRecords = maxRecords;
    }

    /** An outcome became ready to publish at {@code nowNanos} ({@link System#nanoTime()}). */
    public void ready(long nowNanos) {
        ready(nowNanos, false);
    }

    /**
     * An outcome became ready to publish at {@code nowNanos}; an {@code interactive} one (of a request someone waits
     * on, not of a batch job) opens the gate: what waits leaves with it at once.
     */
    public void ready(long nowNanos, boolean interactive) {
        urgent |= interactive;
        if (!waiting) {
            waiting = true;
            oldestNanos = nowNanos;
        }
    }

    /**
     * Whether the waiting outcomes should be published now.
     *
     * @param waitingCount outcomes ready to publish
     * @param computing outcomes dispatched to the pool and not yet computed
     */
    public boolean open(int waitingCount, int computing, long nowNanos) {
        if (waitingCount == 0) {
            waiting = false; // what waited was dropped (a revocation): the next outcome starts a new wait
            urgent = false;
            return false;
        }
        return lingerNanos == 0
                || computing <= 0
                || urgent
                || waitingCount >= maxRecords
                || !waiting
                || nowNanos - oldestNanos >= lingerNanos;
    }

    /** Everything that waited was handed to the producer. */
    public void published() {
        waiting = false;
        urgent = false;
    }
}
