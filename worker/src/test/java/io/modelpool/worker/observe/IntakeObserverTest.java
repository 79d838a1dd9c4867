package io.modelpool.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.kafka.ShutdownReport;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class IntakeObserverTest {

    private static final Capability TE = Capability.TEXT_EMBEDDING;
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final IntakeObserver observer = new IntakeObserver(registry, Map.of(TE, Set.of("served")));

    private static Outcome.Envelope result(String id, String model, ErrorCode error, long queuedMs) {
        return new Outcome.Envelope(
                id, null, model, error == null ? ResultStatus.OK : ResultStatus.ERROR, error, queuedMs, 3L);
    }

    private static DeadLetter deadLetter(String errorClass) {
        return DeadLetter.newBuilder()
                .setSourceTopic("t")
                .setSourcePartition(0)
                .setSourceOffset(7)
                .setSourceTimestamp(Instant.EPOCH)
                .setErrorClass(errorClass)
                .setErrorMessage("m")
                .setWorkerId("w")
                .setDeadLetteredAt(Instant.EPOCH)
                .build();
    }

    private double count(String name, String... tags) {
        return registry.find(name).tags(tags).counters().stream()
                .mapToDouble(c -> c.count())
                .sum();
    }

    @Test
    void acknowledgedResultsAreCountedAsCompletedOrFailedByModelAndErrorCode() {
        long now = System.currentTimeMillis();
        observer.received(TE);
        observer.received(TE);
        observer.received(TE);
        observer.answered(TE, result("a", "served", null, 4), now - 50);
        observer.answered(TE, result("b", "served", ErrorCode.EMPTY_INPUT, 0), now - 50);
        observer.answered(TE, result("c", "anything-a-client-typed", ErrorCode.UNKNOWN_MODEL, 0), now);

        assertThat(count(MeterNames.REQUESTS_RECEIVED, "capability", "text-embedding"))
                .isEqualTo(3);
        assertThat(count(MeterNames.REQUESTS_COMPLETED, "model", "served")).isEqualTo(1);
        assertThat(count(MeterNames.REQUESTS_FAILED, "model", "served", "error.code", "EMPTY_INPUT"))
                .isEqualTo(1);
        assertThat(count(MeterNames.REQUESTS_FAILED, "model", "unknown", "error.code", "UNKNOWN_MODEL"))
                .as("a model this worker does not serve never becomes a tag value")
                .isEqualTo(1);
        assertThat(registry.find(MeterNames.REQUEST_END_TO_END)
                        .tags("outcome", "ok")
                        .timer()
                        .count())
                .isEqualTo(1);
        assertThat(registry.find(MeterNames.REQUEST_END_TO_END)
                        .tags("outcome", "ok")
                        .timer()
                        .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isGreaterThanOrEqualTo(50);
        assertThat(registry.find(MeterNames.REQUEST_QUEUED)
                        .tags("outcome", "ok")
                        .timer()
                        .totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(4);
    }

    @Test
    void deadLettersAreCountedByTheSimpleNameOfWhatRejectedThem() {
        observer.deadLettered(TE, deadLetter("io.modelpool.schemas.serde.WrongMagicByteException"), 0);
        observer.deadLettered(TE, deadLetter("TombstoneRecord"), 0);
        observer.deadLettered(TE, deadLetter("TombstoneRecord"), 0);

        assertThat(count(MeterNames.REQUESTS_DEAD_LETTERED, "reason", "WrongMagicByteException"))
                .isEqualTo(1);
        assertThat(count(MeterNames.REQUESTS_DEAD_LETTERED, "reason", "TombstoneRecord"))
                .isEqualTo(2);
        assertThat(registry.find(MeterNames.REQUEST_END_TO_END)
                        .tags("outcome", "dead_letter", "model", "none")
                        .timer()
                        .count())
                .isEqualTo(3);
    }

    @Test
    void commitsPausesResumesAndShutdownsAreRecorded() {
        observer.committed(Map.of(new TopicPartition("t", 0), new OffsetAndMetadata(5)), Duration.ofMillis(12));
        observer.paused();
        observer.resumed();
        observer.paused();
        observer.shutdown(new ShutdownReport(Duration.ofMillis(1500), 40, 2, true));

        assertThat(registry.get(MeterNames.OFFSET_COMMIT).timer().count()).isEqualTo(1);
        assertThat(registry.get(MeterNames.OFFSET_COMMIT).timer().totalTime(java.util.concurrent.TimeUnit.MILLISECONDS))
                .isEqualTo(12);
        assertThat(count(MeterNames.INTAKE_PAUSES)).isEqualTo(2);
        assertThat(count(MeterNames.INTAKE_RESUMES)).isEqualTo(1);
        assertThat(count(MeterNames.SHUTDOWN_DRAINED)).isEqualTo(40);
        assertThat(count(MeterNames.SHUTDOWN_ABANDONED)).isEqualTo(2);
        assertThat(registry.get(MeterNames.SHUTDOWN_DURATION).timer().count()).isEqualTo(1);
    }
}
