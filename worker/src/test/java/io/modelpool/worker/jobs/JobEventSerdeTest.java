package io.modelpool.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.Capability;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

/** The binary form of job events on the tracker's repartition topic. */
class JobEventSerdeTest {

    private final JobEventSerde serde = new JobEventSerde();

    private JobEvent roundTrip(JobEvent e) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", e));
    }

    @Test
    void registrationsAndAnswersSurviveTheRoundTrip() {
        JobEvent.Registered r = new JobEvent.Registered("job-é", Capability.VISION, "ocr", 1_000_000, "u@h", 42);
        JobEvent.Answered ok = new JobEvent.Answered("job", "req-1", null, 7);
        JobEvent.Answered failed = new JobEvent.Answered("job", "req-2", "EMPTY_INPUT", 8);

        assertThat(roundTrip(r)).isEqualTo(r);
        assertThat(roundTrip(ok)).isEqualTo(ok);
        assertThat(roundTrip(failed)).isEqualTo(failed);
    }

    @Test
    void registrationsWithAWindowAndCancelsSurviveTheRoundTripAndOldRegistrationsStillRead() {
        JobEvent.Registered windowed =
                new JobEvent.Registered("job", Capability.TEXT_EMBEDDING, "m", 10, "u@h", 42, 86_400_042L);
        JobEvent.Cancelled cancel = new JobEvent.Cancelled("job", "me@host", 99);
        JobEvent.Registered plain = new JobEvent.Registered("job", Capability.TEXT_EMBEDDING, "m", 10, "u@h", 42);

        assertThat(roundTrip(windowed)).isEqualTo(windowed);
        assertThat(roundTrip(cancel)).isEqualTo(cancel);
        byte[] bytes = serde.serializer().serialize("t", plain);
        assertThat(bytes[1])
                .as("a registration without a window keeps the tag older trackers read")
                .isEqualTo((byte) 1);
        assertThat(roundTrip(plain)).isEqualTo(plain);
        assertThat(((JobEvent.Registered) roundTrip(plain)).hasWindow()).isFalse();
    }

    @Test
    void corruptBytesAreASerializationErrorNotAnotherEvent() {
        byte[] bytes = serde.serializer().serialize("t", new JobEvent.Answered("job", "req", null, 1));

        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[] {9, 2}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("version 9");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", java.util.Arrays.copyOf(bytes, 6)))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void dedupKeysOfDifferentPairsNeverCollide() {
        assertThat(ResultDeduplicator.key("ab", "c")).isNotEqualTo(ResultDeduplicator.key("a", "bc"));
    }
}
