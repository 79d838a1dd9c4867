package io.modelpool.worker.kafka;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.worker.capability.Outcome;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the intake reports as it works, for metrics and tests. Every method is called on the intake thread and must
 * return quickly without calling back into the intake.
 */
public interface IntakeListener {

    /** A record was taken from a request topic (before decoding). */
    default void received(Capability capability) {}

    /**
     * A record's result (OK, or an error result) was acknowledged by the broker, so its offset is done.
     *
     * @param result what the published result says
     * @param recordTimestampMs the request record's Kafka timestamp
     */
    default void answered(Capability capability, Outcome.Envelope result, long recordTimestampMs) {}

    /**
     * A record's dead letter was acknowledged by the broker, so its offset is done.
     *
     * @param recordTimestampMs the request record's Kafka timestamp
     */
    default void deadLettered(Capability capability, DeadLetter letter, long recordTimestampMs) {}

    /** Offsets were committed. */
    default void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {}

    /**
     * Offsets were committed; {@code took} is the time from the commit call until the broker confirmed it. The
     * intake calls this one; the default hands on to {@link #committed(Map)}.
     */
    default void committed(Map<TopicPartition, OffsetAndMetadata> offsets, Duration took) {
        committed(offsets);
    }

    /** Backpressure paused intake. */
    default void paused() {}

    /** Backpressure resumed intake. */
    default void resumed() {}

    /** The shutdown sequence finished. */
    default void shutdown(ShutdownReport report) {}

    /** A listener that ignores everything. */
    IntakeListener NONE = new IntakeListener() {};
}
