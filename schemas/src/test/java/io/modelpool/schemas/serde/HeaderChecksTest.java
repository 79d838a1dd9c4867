package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.TextEmbeddingRequest;
import java.util.Map;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;

/**
 * Values that cannot be Confluent frames are rejected from their first bytes alone. The registry here is a
 * closed port: any registry call would fail with RegistryUnavailableException, so the exact types below also
 * prove that no call was made.
 */
class HeaderChecksTest {
    private static final Map<String, Object> CONFIG =
            Map.of("schema.registry.url", ClosedPort.url(), "max.retries", 0, "max.payload.bytes", 1024);
    private final Deserializer<TextEmbeddingRequest> specific =
            ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, CONFIG, false);
    private final Deserializer<GenericRecord> generic = ConfluentAvroSerde.genericDeserializer(CONFIG, false);

    @Test
    void anEmptyValueIsTruncated() {
        assertThatThrownBy(() -> specific.deserialize("t", new byte[0]))
                .isExactlyInstanceOf(TruncatedPayloadException.class)
                .hasMessageContaining("empty value (topic 't')");
    }

    @Test
    void oneToFourBytesAreATruncatedHeader() {
        for (int length = 1; length <= 4; length++) {
            byte[] value = new byte[length];
            assertThatThrownBy(() -> generic.deserialize("t", value))
                    .as("%d bytes", length)
                    .isExactlyInstanceOf(TruncatedPayloadException.class)
                    .hasMessageContaining("truncated header");
        }
    }

    @Test
    void aWrongMagicByteIsReportedWithTheByteFound() {
        byte[] json = "{\"id\":\"x\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThatThrownBy(() -> specific.deserialize("t", json))
                .isExactlyInstanceOf(WrongMagicByteException.class)
                .hasMessageContaining("found 0x7B")
                .satisfies(
                        e -> assertThat(((WrongMagicByteException) e).actual()).isEqualTo((byte) '{'));
        assertThatThrownBy(() -> generic.deserialize("t", new byte[] {1}))
                .isExactlyInstanceOf(WrongMagicByteException.class);
    }

    @Test
    void aValueLargerThanMaxPayloadBytesIsRejectedUnread() {
        byte[] big = new byte[1025];

        assertThatThrownBy(() -> specific.deserialize("t", big))
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining(
                        "payload too large (topic 't', schema id 0): 1025 bytes, more than max.payload.bytes=1024");
    }

    @Test
    void aNullValueIsATombstoneAndDecodesToNull() {
        assertThat(specific.deserialize("t", null)).isNull();
        assertThat(generic.deserialize("t", null)).isNull();
    }

    @Test
    void everyUndecodableTypeSharesTheDeadLetterBaseAndKafkasSerializationException() {
        assertThat(new Class<?>[] {
                    WrongMagicByteException.class,
                    TruncatedPayloadException.class,
                    UnknownSchemaIdException.class,
                    MalformedAvroException.class
                })
                .allSatisfy(type -> assertThat(UndecodableRecordException.class).isAssignableFrom(type));
        assertThat(UndecodableRecordException.class.isAssignableFrom(RegistryUnavailableException.class))
                .isFalse();
        assertThat(org.apache.kafka.common.errors.SerializationException.class)
                .isAssignableFrom(AvroSerdeException.class);
    }
}
