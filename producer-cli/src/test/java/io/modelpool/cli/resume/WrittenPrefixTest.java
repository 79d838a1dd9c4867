package io.modelpool.cli.resume;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WrittenPrefixTest {
    @TempDir
    Path dir;

    @Test
    void thePrefixEndsAtTheFirstRequestNotWholeInEitherFileAndBothFilesAreCutThere() throws Exception {
        Path output = Files.writeString(dir.resolve("out.jsonl"), """
                {"id":"a","vector":[1.0]}
                {"id":"b","vector":[2.0]}
                {"id":"d","vector":[4.0]}
                {"id":"e","vector":[5.0]}
                {"id":"f","vec""");
        Path errors = Files.writeString(dir.resolve("errors.jsonl"), """
                {"id":"c","error":{"code":"EMPTY_INPUT","message":"empty"}}
                """);
        String keptOutput = "{\"id\":\"a\",\"vector\":[1.0]}\n{\"id\":\"b\",\"vector\":[2.0]}\n";

        try (WrittenPrefix prefix = WrittenPrefix.open(output, errors)) {
            assertThat(prefix.take(List.of("a", "b"))).isTrue();
            assertThat(prefix.take(List.of("c", "d"))).isTrue();
            assertThat(prefix.take(List.of("e", "f")))
                    .as("f was cut by the kill")
                    .isFalse();
            assertThat(prefix.take(List.of("g"))).isFalse();
            assertThat(prefix.requests()).isEqualTo(2);
            assertThat(prefix.inputs()).isEqualTo(4);
            assertThat(prefix.failuresByCode()).isEqualTo(Map.of("EMPTY_INPUT", 1L));
            prefix.truncate();
        }

        assertThat(Files.readString(output)).isEqualTo(keptOutput + "{\"id\":\"d\",\"vector\":[4.0]}\n");
        assertThat(Files.readString(errors))
                .isEqualTo("{\"id\":\"c\",\"error\":{\"code\":\"EMPTY_INPUT\",\"message\":\"empty\"}}\n");
    }

    @Test
    void aLineMissingFromTheErrorsFileEndsThePrefixThoughLaterVectorsWereFlushed() throws Exception {
        Path output = Files.writeString(dir.resolve("out.jsonl"), """
                {"id":"a","vector":[1.0]}
                {"id":"c","vector":[3.0]}
                """);
        Path errors = dir.resolve("errors.jsonl");

        try (WrittenPrefix prefix = WrittenPrefix.open(output, errors)) {
            assertThat(prefix.take(List.of("a"))).isTrue();
            assertThat(prefix.take(List.of("b")))
                    .as("b's error was still buffered when the run died")
                    .isFalse();
            prefix.truncate();
        }

        assertThat(Files.readString(output)).isEqualTo("{\"id\":\"a\",\"vector\":[1.0]}\n");
        assertThat(errors).exists().isEmptyFile();
    }
}
