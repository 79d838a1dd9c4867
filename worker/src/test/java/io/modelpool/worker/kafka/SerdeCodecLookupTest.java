package io.modelpool.worker.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The codec's lookups of writer schemas it has not cached, against the devstack's registry: every record that needs
 * the same id gets the lookup's own future, so all of them are seen answered at the same moment. (A future derived
 * per record is completed one by one, in reverse order of its records: the intake then found a later record of a
 * partition ready before an earlier one, took it first, and a handoff answered it twice.)
 */
class SerdeCodecLookupTest {

    private static final String PREFIX = "lookup" + UUID.randomUUID().toString().substring(0, 8);
    private static final String REQUESTS = Topics.requests(PREFIX, Capability.TEXT_EMBEDDING);

    @Test
    void recordsWithTheSameUnknownIdShareOneLookupAndAllAreAnsweredAtOnce() {
        // One lookup a second: the first id's lookup runs at once, the second id's waits its turn, so the two
        // records that need it ask while it is still pending
        try (SerdeCodec codec = new SerdeCodec(
                Map.of("schema.registry.url", SharedDevStack.get().schemaRegistryUrl()),
                PREFIX,
                Set.of(Capability.TEXT_EMBEDDING),
                1,
                1)) {
            codec.prepare(REQUESTS, framed(1_777_100_001));
            CompletableFuture<Void> first = codec.prepare(REQUESTS, framed(1_777_100_002));
            CompletableFuture<Void> second = codec.prepare(REQUESTS, framed(1_777_100_002));

            assertThat(first).as("still waiting its turn").isNotDone();
            assertThat(second).as("the same lookup, not one derived per record").isSameAs(first);
            await().atMost(Duration.ofSeconds(20)).until(first::isDone);
            assertThat(first)
                    .as("an id the registry does not know is a definite answer, dead-lettered by decode")
                    .isCompleted();
        }
    }

    /** Confluent framing: magic byte, schema id, then a body that does not matter here. */
    private static byte[] framed(int schemaId) {
        return ByteBuffer.allocate(9).put((byte) 0).putInt(schemaId).putInt(42).array();
    }
}
