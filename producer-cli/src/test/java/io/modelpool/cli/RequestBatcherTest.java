package io.modelpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.input.InputSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestBatcherTest {
    @TempDir
    Path dir;

    @Test
    void oneTextPerRequestUsesTheLineNumberOrTheFilesId() throws IOException {
        Path file = Files.writeString(dir.resolve("in.jsonl"), """
                {"text": "a"}
                {"id": "mine", "text": "b"}
                """);
        try (InputReader reader = InputReader.open(InputSpec.of(file))) {
            RequestBatcher batcher = new RequestBatcher(reader, "job7", 1);

            assertThat(batcher.next()).isEqualTo(new PlannedRequest("job7-1", List.of("job7-1"), List.of("a"), 1));
            assertThat(batcher.next()).isEqualTo(new PlannedRequest("mine", List.of("mine"), List.of("b"), 2));
            assertThat(batcher.next()).isNull();
        }
    }

    @Test
    void severalTextsPerRequestAreNamedByTheirLineRangeAndTheLastRequestMayBeShort() throws IOException {
        Path file = Files.writeString(dir.resolve("in.txt"), "a\nb\n\nc\nd\ne\n");
        try (InputReader reader = InputReader.open(InputSpec.of(file))) {
            RequestBatcher batcher = new RequestBatcher(reader, "j", 2);

            assertThat(batcher.next())
                    .isEqualTo(new PlannedRequest("j-1-2", List.of("j-1", "j-2"), List.of("a", "b"), 1));
            assertThat(batcher.next())
                    .isEqualTo(new PlannedRequest("j-4-5", List.of("j-4", "j-5"), List.of("c", "d"), 4));
            assertThat(batcher.next()).isEqualTo(new PlannedRequest("j-6-6", List.of("j-6"), List.of("e"), 6));
            assertThat(batcher.next()).isNull();
        }
        assertThat(RequestBatcher.requestCount(5, 2)).isEqualTo(3);
        assertThat(RequestBatcher.requestCount(4, 2)).isEqualTo(2);
    }
}
