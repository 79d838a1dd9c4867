package io.modelpool.schemas.serde;

import static io.modelpool.schemas.serde.BoundedBinaryDecoderTest.concat;
import static io.modelpool.schemas.serde.BoundedBinaryDecoderTest.zigzag;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import io.modelpool.v1.TextEmbeddingRequest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every way a value can be broken gives its own exception type, names the topic and schema id, and never
 * yields an object. Lengths declared inside the value are checked before anything is allocated.
 */
class CorruptInputTest {
    private final Map<String, Object> config = DevRegistry.config();
    private final Deserializer<TextEmbeddingRequest> specific =
            ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false);
    private final Deserializer<GenericRecord> generic = ConfluentAvroSerde.genericDeserializer(config, false);
    private String topic;
    private byte[] valid;
    private int id;

    @BeforeEach
    void registerTheRequestSchema() {
        topic = DevRegistry.uniqueTopic("corrupt");
        valid = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false)
                .serialize(topic, ContractSamples.textEmbeddingRequest());
        id = ConfluentWireFormat.peekSchemaId(valid).getAsInt();
    }

    @Test
    void anIdTheRegistryDoesNotKnowIsAnUnknownSchemaId() {
        byte[] frame = ConfluentWireFormat.frame(987_654_321, Arrays.copyOfRange(valid, 5, valid.length));

        assertThatThrownBy(() -> specific.deserialize(topic, frame))
                .isExactlyInstanceOf(UnknownSchemaIdException.class)
                .hasMessageContaining("topic '" + topic + "'")
                .hasMessageContaining("schema id 987654321");
    }

    @Test
    void everyCutThroughTheAvroBodyIsATruncatedPayload() {
        for (int length = 5; length < valid.length; length++) {
            byte[] cut = Arrays.copyOf(valid, length);
            for (Deserializer<?> deserializer : new Deserializer<?>[] {specific, generic}) {
                assertThatThrownBy(() -> deserializer.deserialize(topic, cut))
                        .as("cut at %d of %d bytes", length, valid.length)
                        .isExactlyInstanceOf(TruncatedPayloadException.class)
                        .hasMessageContaining("schema id " + id);
            }
        }
    }

    @Test
    void bytesLeftAfterTheRecordAreTrailingBytes() {
        byte[] longer = concat(valid, new byte[] {0, 0});

        assertThatThrownBy(() -> specific.deserialize(topic, longer))
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("trailing bytes")
                .hasMessageContaining("2 bytes left after the io.modelpool.v1.TextEmbeddingRequest record");
    }

    @Test
    void aGarbageBodyIsMalformedAvro() {
        // The id string declares a negative length: no encoder ever writes that.
        byte[] garbage = ConfluentWireFormat.frame(id, new byte[] {0x01, (byte) 0xFF, (byte) 0xEE, 0x42});

        assertThatThrownBy(() -> specific.deserialize(topic, garbage))
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("malformed Avro body")
                .hasMessageContaining("schema id " + id);
    }

    @Test
    void anOutOfRangeEnumOrUnionIndexIsMalformedAvro() {
        byte[] badUnion = ConfluentWireFormat.frame(id, concat(zigzag(1), new byte[] {'x'}, zigzag(7)));
        byte[] badEnum = ConfluentWireFormat.frame(
                id,
                concat(
                        zigzag(1),
                        new byte[] {'x'},
                        zigzag(0),
                        zigzag(1),
                        new byte[] {'m'},
                        zigzag(0),
                        zigzag(0),
                        zigzag(9)));

        assertThatThrownBy(() -> specific.deserialize(topic, badUnion))
                .isExactlyInstanceOf(MalformedAvroException.class);
        assertThatThrownBy(() -> generic.deserialize(topic, badEnum)).isExactlyInstanceOf(MalformedAvroException.class);
    }

    @Test
    void aStringDeclaring100MegabytesIsRejectedQuicklyWithoutRunningOutOfMemory() {
        byte[] hostile = ConfluentWireFormat.frame(id, concat(zigzag(100L * 1024 * 1024), new byte[] {'a'}));
        long start = System.nanoTime();

        Throwable thrown = catchThrowable(() -> specific.deserialize(topic, hostile));

        assertThat(thrown)
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("declares 104857600 bytes, more than the payload limit");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void anArrayDeclaringABillionItemsIsRejectedQuicklyWithoutRunningOutOfMemory() {
        // id "x", jobId null, model "m", deadline null, then texts declares 10^9 strings.
        byte[] hostile = ConfluentWireFormat.frame(
                id,
                concat(
                        zigzag(1),
                        new byte[] {'x'},
                        zigzag(0),
                        zigzag(1),
                        new byte[] {'m'},
                        zigzag(0),
                        zigzag(1_000_000_000L),
                        zigzag(0)));
        long start = System.nanoTime();

        Throwable specificError = catchThrowable(() -> specific.deserialize(topic, hostile));
        Throwable genericError = catchThrowable(() -> generic.deserialize(topic, hostile));

        assertThat(specificError)
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("1000000000 items");
        assertThat(genericError).isExactlyInstanceOf(MalformedAvroException.class);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aRecordOfAnotherTypeCannotBeReadAsTheGeneratedClass() {
        byte[] greeting = ConfluentAvroSerde.genericSerializer(config, false)
                .serialize(DevRegistry.uniqueTopic("other"), Greetings.v1("hi"));

        assertThatThrownBy(() -> specific.deserialize(topic, greeting))
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("io.modelpool.schemas.testing.Greeting");
    }

    @Test
    void aValueThatIsNotARecordIsRefusedByTheGenericRecordDeserializer() {
        int stringId;
        try (SchemaRegistryClient client = DevRegistry.client()) {
            stringId = client.register(DevRegistry.uniqueTopic("plain") + "-value", Schema.create(Schema.Type.STRING));
        }
        byte[] frame = ConfluentWireFormat.frame(stringId, concat(zigzag(2), new byte[] {'h', 'i'}));

        assertThatThrownBy(() -> generic.deserialize(topic, frame))
                .isExactlyInstanceOf(MalformedAvroException.class)
                .hasMessageContaining("not a record");
    }

    @Test
    void randomBodiesGiveEitherACompleteRecordOrAnUndecodableRecordExceptionNeverAnythingElse() {
        Random random = new Random(20261125L);
        int records = 0;
        for (int i = 0; i < 2_000; i++) {
            byte[] body = new byte[random.nextInt(64)];
            random.nextBytes(body);
            byte[] frame = ConfluentWireFormat.frame(id, body);
            Throwable thrown = catchThrowable(() -> specific.deserialize(topic, frame));
            if (thrown == null) {
                records++;
            } else {
                assertThat(thrown).as("body %s", Arrays.toString(body)).isInstanceOf(UndecodableRecordException.class);
            }
        }
        assertThat(records).isLessThan(2_000);
    }
}
