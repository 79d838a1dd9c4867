package io.modelpool.worker.kafka;

import io.modelpool.v1.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the tracker's send queue into producer records and hands them to the {@link Delivery}: encodes each outcome
 * (the end-to-end time is stamped now), sets its headers, and deals with what comes back.
 *
 * <p>Failures. A retriable failure (broker or registry away) sets one backoff for every send, because every send
 * would fail the same way. A permanent one concerns one outcome: it waits on a backoff of its own, and after a few
 * attempts {@link Publishability} replaces it with a smaller one; other outcomes go on meanwhile (exactly once, the
 * later ones of the same partition wait, to keep the offset order). An encode failure is such a permanent failure.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class Publisher implements Delivery.Resend {

    private static final Logger log = LoggerFactory.getLogger(Publisher.class);

    static final String HEADER_ERROR_CLASS = "modelpool.error.class";
    static final String HEADER_ERROR_MESSAGE = "modelpool.error.message";
    static final String HEADER_SOURCE_TOPIC = "modelpool.error.source.topic";
    static final String HEADER_SOURCE_PARTITION = "modelpool.error.source.partition";
    static final String HEADER_SOURCE_OFFSET = "modelpool.error.source.offset";
    static final String HEADER_WORKER = "modelpool.worker.id";

    private final String workerId;
    private final InFlightTracker tracker;
    private final RecordCodec codec;
    private final DeadLetters deadLetters;
    private final Publishability publishability;
    private final PublishGate gate;
    private final Backoff backoff;
    private final Clock clock;
    private Delivery delivery;

    Publisher(
            String workerId,
            InFlightTracker tracker,
            RecordCodec codec,
            DeadLetters deadLetters,
            Publishability publishability,
            PublishGate gate,
            Backoff backoff,
            Clock clock) {
        this.workerId = workerId;
        this.tracker = tracker;
        this.codec = codec;
        this.deadLetters = deadLetters;
        this.publishability = publishability;
        this.gate = gate;
        this.backoff = backoff;
        this.clock = clock;
    }

    /** Set once, right after construction: the delivery and the publisher call each other. */
    void deliverThrough(Delivery d) {
        this.delivery = d;
    }

    /** An outcome joined the send queue; an {@code interactive} one opens the gate at once. */
    void ready(boolean interactive) {
        gate.ready(System.nanoTime(), interactive);
    }

    /** The loop's turn: sends what waits when the {@link PublishGate} says so. */
    void publishIfDue() {
        // Parked records count as more to follow: during a flood of unknown schema ids their dead letters leave
        // together, not one produce request each as the lookups answer one by one
        if (gate.open(tracker.waitingCount(), tracker.outcomesToFollow(), System.nanoTime())) {
            publishNow();
        }
    }

    /** Sends what waits, unless a retriable failure's backoff is running (drains and shutdown call this directly). */
    void publishNow() {
        try {
            sendWaiting();
        } finally {
            if (tracker.waitingCount() == 0) {
                gate.published();
            }
        }
    }

    private void sendWaiting() {
        long now = clock.millis();
        if (tracker.waitingCount() == 0 || !backoff.ready(now)) {
            return;
        }
        Set<TopicPartition> held = new HashSet<>();
        Iterator<InFlight> waiting = tracker.waiting();
        while (waiting.hasNext() && delivery.fatal() == null) {
            InFlight r = waiting.next();
            if (!tracker.current(r)) {
                waiting.remove();
                continue;
            }
            if (r.retryAtMs > now || held.contains(r.partition)) {
                hold(held, r);
                continue;
            }
            ProducerRecord<byte[], byte[]> out;
            try {
                out = outgoing(r);
            } catch (RecordCodec.DependencyUnavailableException e) {
                long delay = backoff.failed(now);
                log.warn(
                        "Cannot encode the outcome of {}: schema registry unavailable ({}); retrying in {} ms",
                        r,
                        e.getMessage(),
                        delay);
                return;
            } catch (SerializationException e) {
                permanentFailure(r, e);
                hold(held, r);
                continue;
            }
            if (!delivery.makeRoom()) {
                return;
            }
            waiting.remove();
            if (!delivery.send(out, r)) {
                return;
            }
            backoff.succeeded();
        }
    }

    private void hold(Set<TopicPartition> held, InFlight r) {
        if (delivery.keepsPartitionOrder()) {
            held.add(r.partition);
        }
    }

    @Override
    public void failed(InFlight r, Throwable error) {
        if (Publishability.permanent(error)) {
            permanentFailure(r, error);
        } else {
            long delay = backoff.failed(clock.millis());
            log.warn(
                    "Publishing the outcome of {} to {} failed ({}); retrying in {} ms",
                    r,
                    r.outTopic,
                    error.toString(),
                    delay);
        }
        tracker.ready(r);
        ready(false);
    }

    @Override
    public void aborted(List<InFlight> inOrder, RuntimeException cause) {
        for (int i = inOrder.size() - 1; i >= 0; i--) {
            tracker.readyFirst(inOrder.get(i));
        }
        // The outcomes the producer refused for good are counted, so the abort loop they cause is bounded.
        for (InFlight r : inOrder) {
            Exception error = r.sendError;
            r.sendError = null;
            if (error != null && Publishability.permanent(error)) {
                permanentFailure(r, error);
            }
        }
        long delay = backoff.failed(clock.millis());
        log.warn(
                "Transaction of {} outcomes aborted ({}); sending them again in the next one in {} ms",
                inOrder.size(),
                cause.toString(),
                delay);
        ready(false);
    }

    private void permanentFailure(InFlight r, Throwable error) {
        InFlight.Stage before = r.stage;
        Publishability.Step step = publishability.failed(r, error, deadLetters, clock.millis());
        switch (step) {
            case RETRY ->
                log.warn(
                        "Publishing the {} of {} to {} failed permanently ({}); attempt {}, retrying it " + "alone",
                        before,
                        r,
                        r.outTopic,
                        error.toString(),
                        r.permanentFailures);
            case REPLACED ->
                log.warn(
                        "The {} of {} cannot be published ({}); publishing a {} to {} instead",
                        before,
                        r,
                        error.toString(),
                        r.stage,
                        r.outTopic);
            case STUCK ->
                log.error(
                        "Even a minimal dead letter of {} cannot be published to {} ({}); its partition "
                                + "waits: make the dead-letter topic exist and writable",
                        r,
                        r.outTopic,
                        error.toString());
            default -> throw new IllegalStateException("unknown step " + step);
        }
    }

    /**
     * The record to publish for {@code r}.
     *
     * @throws RecordCodec.DependencyUnavailableException when the schema registry is away
     * @throws SerializationException when this outcome cannot be encoded (its own failure, not the registry's)
     */
    private ProducerRecord<byte[], byte[]> outgoing(InFlight r) {
        Headers headers = headers(r);
        SpecificRecord outValue = r.deadLetter()
                ? r.letter
                : r.result.stamp(workerId, r.recordTimestampMs >= 0 ? clock.millis() - r.recordTimestampMs : 0L);
        byte[] value = codec.encode(r.outTopic, headers, outValue);
        return new ProducerRecord<>(r.outTopic, null, r.outKey, value, headers);
    }

    private Headers headers(InFlight r) {
        RecordHeaders headers = new RecordHeaders();
        if (r.stage != InFlight.Stage.MINIMAL_DEAD_LETTER) {
            for (Header h : r.headers) {
                if (!h.key().startsWith("modelpool.error.")) {
                    headers.add(h.key(), h.value());
                }
            }
        }
        headers.add(HEADER_WORKER, workerId.getBytes(StandardCharsets.UTF_8));
        if (r.deadLetter()) {
            DeadLetter dl = r.letter;
            headers.add(HEADER_ERROR_CLASS, dl.getErrorClass().getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_ERROR_MESSAGE, dl.getErrorMessage().getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_SOURCE_TOPIC, r.partition.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(
                    HEADER_SOURCE_PARTITION,
                    Integer.toString(r.partition.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_SOURCE_OFFSET, Long.toString(r.offset).getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }
}
