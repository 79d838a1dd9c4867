package io.modelpool.worker.kafka;

import java.time.Duration;
import java.util.Collection;
import java.util.Queue;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * How outcomes reach Kafka and offsets get committed: one implementation per processing guarantee, chosen once when
 * the intake is built, so nothing else in the intake asks which guarantee runs.
 *
 * <ul>
 *   <li>{@link AtLeastOnceDelivery}: send, wait for the broker's acknowledgement, commit the done prefix now and
 *       then with {@code commitAsync} (confirmed before it counts) and with {@code commitSync} on revocation and
 *       shutdown.</li>
 *   <li>{@link ExactlyOnceDelivery}: outcomes are released in offset order per partition and sent inside a
 *       {@link TransactionCycle}, which commits them together with the consumed offsets.</li>
 * </ul>
 *
 * <p>Every method runs on the intake thread, which alone touches the consumer and the producer. A delivery never
 * blocks longer than the budget it is given, nor past the shutdown's deadline once shutdown began; only exactly-once's
 * transaction commits while running are bounded by the producer's {@code max.block.ms} instead.
 */
interface Delivery {

    /** Called back by a delivery about outcomes that must be sent again. */
    interface Resend {
        /** A send failed after the producer's own retries: retry it (retriable) or replace it (permanent). */
        void failed(InFlight r, Throwable error);

        /** A transaction was aborted: its outcomes, in sending order, go back to the front of the send queue. */
        void aborted(java.util.List<InFlight> inOrder, RuntimeException cause);
    }

    /** Before the first poll. Exactly once registers the transactional id; a failure there is {@link #fatal()}. */
    void start();

    /** A record was dispatched; its outcome will follow. */
    void dispatched(InFlight r);

    /** An outcome is known: hands to {@code sendable} what may be sent now, in the order it must be sent. */
    void computed(InFlight r, Consumer<InFlight> sendable);

    /**
     * The record's work was cut at shutdown and has no outcome: hands to {@code abandon} the record and whatever the
     * delivery can no longer send because of it (exactly once: the later outcomes of its partition).
     */
    void abandoned(InFlight r, Consumer<InFlight> abandon);

    /** Whether a later outcome of a partition must wait while an earlier one of it waits (exactly once). */
    boolean keepsPartitionOrder();

    /** Before each send: false when the send pass must stop (a full transaction could not commit). */
    boolean makeRoom();

    /** Sends one outcome; false when the send pass must stop (the send threw, a transaction was aborted). */
    boolean send(ProducerRecord<byte[], byte[]> out, InFlight r);

    /** The broker acknowledged a send (at least once only). */
    void acknowledged(InFlight r);

    /** A send's failure came back (at least once only); the outcome is handed to {@link Resend#failed}. */
    void sendFailed(InFlight r, Throwable error);

    /** The loop's turn: commit if due. {@code idle}: nothing is outstanding or waiting. */
    void maybeCommit(long nowMs, boolean idle);

    /**
     * Commits what is done for the partitions {@code which} accepts, blocking for at most {@code budget}: before a
     * revocation returns and at shutdown. Returns whether the commit succeeded (true when there was nothing to
     * commit).
     */
    boolean commitNow(Predicate<TopicPartition> which, Duration budget);

    /** Outcomes already handed to the producer: how many still wait for the broker's answer. */
    int awaitingAcknowledgement();

    /** Partitions were revoked and their work committed or abandoned: forget them. */
    void forget(Collection<TopicPartition> gone);

    /** Partitions were lost: nothing of theirs may be committed any more. */
    void lost(Collection<TopicPartition> gone);

    /** Set when the producer was fenced or failed beyond recovery: the intake stops without committing. */
    RuntimeException fatal();

    /** Outcomes that were sent in a transaction a fatal error left open: done in the tracker, never committed. */
    int lostToFatal();

    /** What a {@link Guarantee} builds its delivery from. */
    record Parts(
            IntakeSettings settings,
            org.apache.kafka.clients.consumer.Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            InFlightTracker tracker,
            IntakeListener listener,
            Queue<IntakeEvent> events,
            Resend resend,
            CloseBudget closeBudget) {}
}
