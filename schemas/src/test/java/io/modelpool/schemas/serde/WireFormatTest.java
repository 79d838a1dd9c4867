package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.v1.TextEmbeddingRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;

/** The bytes are Confluent's: magic byte 0, big-endian schema id, plain Avro binary, nothing else. */
class WireFormatTest {
    private final Map<String, Object> config = DevRegistry.config();

    @Test
    void aHandBuiltConfluentFrameDecodesAndTheSameRecordEncodesToTheSameBytes() throws IOException {
        String topic = DevRegistry.uniqueTopic("wire");
        int id;
        try (SchemaRegistryClient client = DevRegistry.client()) {
            id = client.register(topic + "-value", TextEmbeddingRequest.getClassSchema());
        }
        TextEmbeddingRequest expected = ContractSamples.textEmbeddingRequest();
        byte[] body = independentlyEncoded(expected);
        byte[] frame = ByteBuffer.allocate(5 + body.length)
                .put((byte) 0)
                .putInt(id)
                .put(body)
                .array();

        TextEmbeddingRequest decoded = ConfluentAvroSerde.specificDeserializer(
                        TextEmbeddingRequest.class, config, false)
                .deserialize(topic, frame);
        byte[] encoded = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false)
                .serialize(topic, expected);

        assertThat(decoded).isEqualTo(expected);
        assertThat(encoded).isEqualTo(frame);
        assertThat(ConfluentWireFormat.peekSchemaId(encoded)).hasValue(id);
    }

    @Test
    void theSchemaIdIsWrittenBigEndian() {
        byte[] framed = ConfluentWireFormat.frame(0x01020304, new byte[] {9});

        assertThat(framed).containsExactly(0, 1, 2, 3, 4, 9);
        assertThat(ConfluentWireFormat.peekSchemaId(framed)).hasValue(0x01020304);
        assertThat(ConfluentWireFormat.peekSchemaId(new byte[] {1, 1, 2, 3, 4})).isEmpty();
    }

    /** Avro's own GenericDatumWriter and BinaryEncoder on a record built field by field, no serde code. */
    private static byte[] independentlyEncoded(TextEmbeddingRequest request) throws IOException {
        GenericRecord record = new GenericData.Record(TextEmbeddingRequest.getClassSchema());
        record.put("id", request.getId());
        record.put("jobId", request.getJobId());
        record.put("model", request.getModel());
        record.put("deadline", request.getDeadline().toEpochMilli());
        record.put("texts", request.getTexts());
        record.put(
                "inputType",
                new GenericData.EnumSymbol(
                        TextEmbeddingRequest.getClassSchema()
                                .getField("inputType")
                                .schema(),
                        request.getInputType().name()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(record.getSchema()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
