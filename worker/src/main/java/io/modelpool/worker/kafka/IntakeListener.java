package io.modelpool.worker.kafka;

import io.modelpool.v1.Capability;
import java.time.Duration;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * What the intake reports as it works, for metrics and tests. Every method is called on the intake thread and must
 * return quickly without calling back into the intake.
 */
public interface IntakeListener {

    /** A record was taken from a request topic (before decoding). */
    default void received(Capability capability) {
    }

    /**
     * A record's outcome was acknowledged by the broker, so its offset is done.
     *
     * @param deadLetter whether the outcome was a dead letter rather than a result or error result
     * @param outcome the published record (a result of the capability, or a {@code DeadLetter})
     * @param recordTimestampMs the request record's Kafka timestamp
     */
    default void acknowledged(Capability capability, boolean deadLetter, SpecificRecord outcome,
            long recordTimestampMs) {
    }

    /** Offsets were committed. */
    default void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    }

    /**
     * Offsets were committed; {@code took} is the time from the commit call until the broker confirmed it. The
     * intake calls this one; the default hands on to {@link #committed(Map)}.
     */
    default void committed(Map<TopicPartition, OffsetAndMetadata> offsets, Duration took) {
        committed(offsets);
    }

    /** Backpressure paused intake. */
    default void paused() {
    }

    /** Backpressure resumed intake. */
    default void resumed() {
    }

    /** The shutdown sequence finished. */
    default void shutdown(ShutdownReport report) {
    }

    /** A listener that ignores everything. */
    IntakeListener NONE = new IntakeListener() {
    };
}
