package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.modelpool.schemas.registry.RegistryUnreachableException;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.v1.TextEmbeddingRequest;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/** A registry that is down never makes a good record look bad. */
class RegistryUnavailableTest {
    private static final byte[] FRAME = {0, 0, 0, 0, 42, 2, 'x'};

    private static Map<String, Object> config(int maxRetries, long deadlineMs) {
        return Map.of(
                "schema.registry.url",
                ClosedPort.url(),
                "max.retries",
                maxRetries,
                "retries.wait.ms",
                20,
                "retries.max.wait.ms",
                80,
                "schema.registry.request.deadline.ms",
                deadlineMs);
    }

    @Test
    void aDeserializerFacingAClosedPortSaysTheRegistryIsUnavailableAfterBoundedRetries() {
        Deserializer<TextEmbeddingRequest> deserializer =
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config(2, 10_000), false);
        long start = System.nanoTime();

        RegistryUnavailableException e = catchThrowableOfType(
                RegistryUnavailableException.class, () -> deserializer.deserialize("requests", FRAME));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        assertThat(e).isNotInstanceOf(UndecodableRecordException.class);
        assertThat(e.topic()).contains("requests");
        assertThat(e.schemaId()).hasValue(42);
        assertThat(e)
                .hasMessageContaining("topic 'requests'")
                .hasMessageContaining("schema id 42")
                .hasMessageContaining("ConnectException");
        assertThat(e.getCause())
                .isInstanceOfSatisfying(
                        RegistryUnreachableException.class,
                        cause -> assertThat(cause.attempts()).isEqualTo(3));
    }

    @Test
    void theRequestDeadlineCutsRetriesShortWhateverTheRetryCount() {
        Deserializer<TextEmbeddingRequest> deserializer =
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config(1_000, 300), false);
        long start = System.nanoTime();

        RegistryUnavailableException e = catchThrowableOfType(
                RegistryUnavailableException.class, () -> deserializer.deserialize("requests", FRAME));

        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        assertThat(((RegistryUnreachableException) e.getCause()).attempts()).isLessThan(1_000);
    }

    @Test
    void aRegistryThatAcceptsConnectionsButNeverAnswersTimesOutIntoRegistryUnavailable() throws IOException {
        try (ServerSocket silent = new ServerSocket(0)) {
            Map<String, Object> config = Map.of(
                    "schema.registry.url", "http://127.0.0.1:" + silent.getLocalPort(),
                    "http.read.timeout.ms", 200,
                    "max.retries", 1,
                    "retries.wait.ms", 10,
                    "retries.max.wait.ms", 10);
            Deserializer<TextEmbeddingRequest> deserializer =
                    ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false);
            long start = System.nanoTime();

            RegistryUnavailableException e = catchThrowableOfType(
                    RegistryUnavailableException.class, () -> deserializer.deserialize("requests", FRAME));

            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            assertThat(e).hasMessageContaining("HttpTimeoutException");
        }
    }

    @Test
    void aSerializerFacingAClosedPortSaysTheRegistryIsUnavailableNamingTheSubject() {
        Serializer<TextEmbeddingRequest> serializer =
                ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config(1, 10_000), false);

        RegistryUnavailableException e = catchThrowableOfType(
                RegistryUnavailableException.class,
                () -> serializer.serialize("requests", ContractSamples.textEmbeddingRequest()));

        assertThat(e).hasMessageContaining("subject 'requests-value'").hasMessageContaining("topic 'requests'");
    }
}
