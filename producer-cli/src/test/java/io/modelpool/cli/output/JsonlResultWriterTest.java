package io.modelpool.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class JsonlResultWriterTest {

    @Test
    void writesOneJsonObjectPerLine() throws IOException {
        StringWriter text = new StringWriter();
        try (JsonlResultWriter out = new JsonlResultWriter(text)) {
            out.writeVector("a\"1", null, List.of(0.25f, -1.5f, 3.0E-8f));
            out.writeError("b", null, "EMPTY_INPUT", "text 0 is empty");
            out.writeVectors("c", "job-1", List.of(List.of(1f), List.of(2f)));
        }

        assertThat(text.toString()).isEqualTo("""
                {"id":"a\\"1","vector":[0.25,-1.5,3.0E-8]}
                {"id":"b","error":{"code":"EMPTY_INPUT","message":"text 0 is empty"}}
                {"id":"c","jobId":"job-1","vectors":[[1.0],[2.0]]}
                """);
    }

    @Test
    void aStreamReceivesTheSameLinesAsUtf8() throws IOException {
        StringWriter text = new StringWriter();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (JsonlResultWriter out : List.of(new JsonlResultWriter(text), new JsonlResultWriter(bytes))) {
            try (out) {
                out.writeVector("zürich-€-\uD83D\uDE00", "job-ß", new float[] {0.1f, -2.5e-7f, Float.MIN_VALUE});
                out.writeError("日本", null, "INVALID_REQUEST", "texts[0] \"quoted\" ✓");
            }
        }

        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .isEqualTo(text.toString())
                .isEqualTo("""
                {"id":"zürich-€-\uD83D\uDE00","jobId":"job-ß","vector":[0.1,-2.5E-7,1.4E-45]}
                {"id":"日本","error":{"code":"INVALID_REQUEST","message":"texts[0] \\"quoted\\" ✓"}}
                """);
    }

    @Test
    void everyWrittenFloatReadsBackAsTheSameFloat() throws IOException {
        Random random = new Random(25);
        float[] vector = new float[10_000];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = switch (i % 4) {
                case 0 -> (float) random.nextGaussian() * 0.05f; // what normalised embeddings hold
                case 1 -> Float.intBitsToFloat(random.nextInt() & 0xFEFFFFFF); // any finite bit pattern
                case 2 -> random.nextFloat() * 1e-6f;
                default -> (float) (random.nextDouble() * 1e6);
            };
        }
        StringWriter text = new StringWriter();
        try (JsonlResultWriter out = new JsonlResultWriter(text)) {
            out.writeVector("v", null, vector);
        }

        List<String> numbers = new ArrayList<>();
        try (JsonParser json = new JsonFactory().createParser(text.toString())) {
            for (JsonToken token = json.nextToken(); token != null; token = json.nextToken()) {
                if (token == JsonToken.VALUE_NUMBER_FLOAT || token == JsonToken.VALUE_NUMBER_INT) {
                    numbers.add(json.getText()); // the digits as written
                }
            }
        }
        assertThat(numbers).hasSize(vector.length);
        for (int i = 0; i < vector.length; i++) {
            assertThat(Float.floatToIntBits(Float.parseFloat(numbers.get(i))))
                    .as("value %d, written %s", i, numbers.get(i))
                    .isEqualTo(Float.floatToIntBits(vector[i]));
        }
    }
}
