package io.modelpool.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.v1.Timings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.junit.jupiter.api.Test;

class ResultEnvelopeTest {

    @Test
    void everyResultSchemaCarriesEveryEnvelopeFieldWithTheSharedSchema() {
        for (Capability capability : Capability.values()) {
            Schema result = Contract.resultSchema(capability);
            ResultEnvelope.FIELDS.forEach((name, schema) -> {
                Schema.Field field = result.getField(name);
                assertThat(field).as("%s.%s", result.getName(), name).isNotNull();
                assertThat(SchemaNormalization.toParsingForm(field.schema()))
                        .as("%s.%s", result.getName(), name)
                        .isEqualTo(SchemaNormalization.toParsingForm(schema));
            });
        }
    }

    @Test
    void theReaderSchemaReadsTheEnvelopeOfAFullResultAndSkipsThePayload() throws IOException {
        TextToTextResult failed = TextToTextResult.newBuilder()
                .setRequestId("r-1")
                .setJobId("job-1")
                .setModel("lm")
                .setStatus(ResultStatus.ERROR)
                .setError(new ResultError(ErrorCode.EXPIRED, "late", false))
                .setTimings(new Timings(1L, 2L, 3L))
                .setWorkerId("w")
                .build();

        ResultEnvelope envelope = ResultEnvelope.of(readProjected(failed, Capability.TEXT_TO_TEXT));

        assertThat(envelope).isEqualTo(new ResultEnvelope("r-1", "job-1", "lm", ResultStatus.ERROR, ErrorCode.EXPIRED));
        assertThat(ResultEnvelope.readerSchema(Capability.TEXT_TO_TEXT).getField("payload"))
                .isNull();
    }

    private static GenericRecord readProjected(TextToTextResult result, Capability capability) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(bytes, null);
        new SpecificDatumWriter<TextToTextResult>(TextToTextResult.class).write(result, encoder);
        encoder.flush();
        return new GenericDatumReader<GenericRecord>(
                        TextToTextResult.getClassSchema(), ResultEnvelope.readerSchema(capability))
                .read(null, DecoderFactory.get().binaryDecoder(bytes.toByteArray(), null));
    }
}
