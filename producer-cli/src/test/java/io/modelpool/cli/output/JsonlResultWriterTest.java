package io.modelpool.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
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
}
