package io.modelpool.cli.input;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;

/** Plain text: each non-blank line is one input, without ids. */
final class LinesReader implements InputReader {
    private final BufferedReader reader;
    private long lineNumber;

    LinesReader(InputSpec spec) throws IOException {
        this.reader = Files.newBufferedReader(spec.file(), StandardCharsets.UTF_8);
    }

    @Override
    public InputRecord next() throws IOException {
        String line;
        while ((line = reader.readLine()) != null) {
            lineNumber++;
            if (!line.isBlank()) {
                return new InputRecord(lineNumber, null, line);
            }
        }
        return null;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
