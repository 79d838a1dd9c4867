package io.modelpool.cli.input;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.NoSuchFileException;

/**
 * Streams the records of one input file, in file order, holding one record in memory at a time.
 *
 * <p>Not thread-safe: one thread reads and closes it. After {@link #close()} no method may be called.
 */
public interface InputReader extends Closeable {

    /**
     * Reads the next record.
     *
     * @return the next record, or {@code null} at the end of the file (and on every call after that)
     * @throws InputException when the record is malformed; the message names the file and line
     * @throws IOException when the file cannot be read
     */
    InputRecord next() throws IOException;

    /**
     * Opens a reader for the given input.
     *
     * @throws NoSuchFileException when the file does not exist
     * @throws InputException when the file's header is unusable (CSV without the text column)
     */
    static InputReader open(InputSpec spec) throws IOException {
        return switch (spec.resolvedFormat()) {
            case LINES -> new LinesReader(spec);
            case JSONL -> new JsonlReader(spec);
            case CSV -> new CsvReader(spec);
        };
    }

    /**
     * Reads the whole input once, checking every record, and counts the records. Used before a job is
     * submitted, so that a malformed file stops the job before anything is produced.
     */
    static long count(InputSpec spec) throws IOException {
        long count = 0;
        try (InputReader reader = open(spec)) {
            while (reader.next() != null) {
                count++;
            }
        }
        return count;
    }
}
