package io.modelpool.worker.kafka;

import io.modelpool.v1.Capability;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Headers;

/**
 * One consumed record on its way to an acknowledged outcome: where it came from (partition, offset and the ledger
 * epoch it was registered under), and, once known, what to publish for it.
 *
 * <p>Created and read on the intake thread; pool threads only hand it back through the event queue.
 */
final class InFlight {

    final TopicPartition partition;
    final long offset;
    final long epoch;
    final Capability capability;
    final long recordTimestampMs;
    final Headers headers;
    final byte[] originalKey;

    /** What to publish: set once the outcome is known. */
    String outTopic;
    byte[] outKey;
    SpecificRecord outValue;
    /** Whether the outcome is a dead letter (as opposed to a result or error result). */
    boolean deadLetter;

    InFlight(TopicPartition partition, long offset, long epoch, Capability capability, long recordTimestampMs,
            Headers headers, byte[] originalKey) {
        this.partition = partition;
        this.offset = offset;
        this.epoch = epoch;
        this.capability = capability;
        this.recordTimestampMs = recordTimestampMs;
        this.headers = headers;
        this.originalKey = originalKey;
    }

    @Override
    public String toString() {
        return partition + "@" + offset;
    }
}
