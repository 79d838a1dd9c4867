package io.modelpool.worker.observe;

import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.kafka.ShutdownReport;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/** Hands every intake event to the metrics listener first, then to the caller's listener, on the intake thread. */
record BothListeners(IntakeListener first, IntakeListener second) implements IntakeListener {

    @Override
    public void received(Capability capability) {
        first.received(capability);
        second.received(capability);
    }

    @Override
    public void answered(Capability capability, Outcome.Envelope result, long recordTimestampMs) {
        first.answered(capability, result, recordTimestampMs);
        second.answered(capability, result, recordTimestampMs);
    }

    @Override
    public void deadLettered(Capability capability, DeadLetter letter, long recordTimestampMs) {
        first.deadLettered(capability, letter, recordTimestampMs);
        second.deadLettered(capability, letter, recordTimestampMs);
    }

    @Override
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        first.committed(offsets);
        second.committed(offsets);
    }

    @Override
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets, Duration took) {
        first.committed(offsets, took);
        second.committed(offsets, took);
    }

    @Override
    public void paused() {
        first.paused();
        second.paused();
    }

    @Override
    public void resumed() {
        first.resumed();
        second.resumed();
    }

    @Override
    public void shutdown(ShutdownReport report) {
        first.shutdown(report);
        second.shutdown(report);
    }
}
