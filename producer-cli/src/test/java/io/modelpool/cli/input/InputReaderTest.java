package io.modelpool.cli.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InputReaderTest {
    @TempDir
    Path dir;

    @Test
    void textLinesAreOneInputEachAndBlankLinesAreSkippedButKeepTheirLineNumbers() throws IOException {
        Path file = write("in.txt", "first sentence\n\n  \nsecond, with a comma\nthird\n");

        assertThat(readAll(InputSpec.of(file)))
                .containsExactly(
                        new InputRecord(1, null, "first sentence"),
                        new InputRecord(4, null, "second, with a comma"),
                        new InputRecord(5, null, "third"));
    }

    @Test
    void jsonlTakesTheTextFieldAndTheIdFieldWhenPresent() throws IOException {
        Path file = write("in.jsonl", """
                {"id": "a", "text": "alpha"}
                {"text": "no id here"}

                {"id": 42, "text": "numeric id", "other": [1, 2]}
                """);

        assertThat(readAll(InputSpec.of(file)))
                .containsExactly(
                        new InputRecord(1, "a", "alpha"),
                        new InputRecord(2, null, "no id here"),
                        new InputRecord(4, "42", "numeric id"));
    }

    @Test
    void jsonlReadsCustomFieldNamesAndRequiresANamedIdField() throws IOException {
        Path file = write("docs.jsonl", """
                {"doc_id": "d1", "body": "one"}
                {"body": "two"}
                """);
        InputSpec spec = new InputSpec(file, null, "doc_id", "body");

        try (InputReader reader = InputReader.open(spec)) {
            assertThat(reader.next()).isEqualTo(new InputRecord(1, "d1", "one"));
            assertThatThrownBy(reader::next)
                    .isInstanceOf(InputException.class)
                    .hasMessageContaining("docs.jsonl line 2")
                    .hasMessageContaining("no id field 'doc_id'");
        }
    }

    @Test
    void jsonlWithoutTheTextFieldOrNotJsonNamesTheLine() throws IOException {
        Path missing = write("missing.jsonl", "{\"text\": \"ok\"}\n{\"body\": \"wrong field\"}\n");
        Path broken = write("broken.jsonl", "{\"text\": \"ok\"}\n{\"text\": \"unterminated\n");

        assertThatThrownBy(() -> InputReader.count(InputSpec.of(missing)))
                .isInstanceOf(InputException.class)
                .hasMessageContaining("missing.jsonl line 2: no string field 'text'");
        assertThatThrownBy(() -> InputReader.count(InputSpec.of(broken)))
                .isInstanceOf(InputException.class)
                .hasMessageContaining("broken.jsonl line 2: not a JSON object");
    }

    @Test
    void csvReadsTheTextColumnWithQuotedCommasQuotesAndNewlinesAndNumbersRecords() throws IOException {
        Path file = write("table.csv", """
                id,title,text
                r1,First,"Hello, world"
                r2,Second,"She said ""hi""\nand left"

                r3,Third,plain
                """);

        assertThat(readAll(InputSpec.of(file)))
                .containsExactly(
                        new InputRecord(1, "r1", "Hello, world"),
                        new InputRecord(2, "r2", "She said \"hi\"\nand left"),
                        new InputRecord(3, "r3", "plain"));
    }

    @Test
    void csvWithoutTheTextColumnListsTheHeader() throws IOException {
        Path file = write("table.csv", "id,body\n1,hello\n");

        assertThatThrownBy(() -> InputReader.open(InputSpec.of(file)))
                .isInstanceOf(InputException.class)
                .hasMessageContaining("no column 'text' in the header [id, body]")
                .hasMessageContaining("--column");
    }

    @Test
    void csvColumnCanBeChosenAndIdsAreOptional() throws IOException {
        Path file = write("table.csv", "body,lang\nhello,en\nbonjour,fr\n");

        assertThat(readAll(new InputSpec(file, InputFormat.CSV, null, "body")))
                .containsExactly(new InputRecord(1, null, "hello"), new InputRecord(2, null, "bonjour"));
    }

    @Test
    void formatComesFromTheExtensionUnlessGiven() {
        assertThat(InputFormat.byFileName(Path.of("a/b.jsonl"))).isEqualTo(InputFormat.JSONL);
        assertThat(InputFormat.byFileName(Path.of("b.NDJSON"))).isEqualTo(InputFormat.JSONL);
        assertThat(InputFormat.byFileName(Path.of("b.csv"))).isEqualTo(InputFormat.CSV);
        assertThat(InputFormat.byFileName(Path.of("b.txt"))).isEqualTo(InputFormat.LINES);
        assertThat(new InputSpec(Path.of("b.txt"), InputFormat.JSONL, null, null).resolvedFormat())
                .isEqualTo(InputFormat.JSONL);
    }

    @Test
    void countReadsALargeFileInOnePass() throws IOException {
        Path file = dir.resolve("big.txt");
        try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < 200_000; i++) {
                out.write("sentence number " + i + "\n");
            }
        }

        assertThat(InputReader.count(InputSpec.of(file))).isEqualTo(200_000);
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content, StandardCharsets.UTF_8);
    }

    private static List<InputRecord> readAll(InputSpec spec) throws IOException {
        List<InputRecord> records = new ArrayList<>();
        try (InputReader reader = InputReader.open(spec)) {
            InputRecord record;
            while ((record = reader.next()) != null) {
                records.add(record);
            }
            assertThat(reader.next()).as("stays at the end").isNull();
        }
        return records;
    }
}
