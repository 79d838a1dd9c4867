package io.modelpool.cli.input;

import java.nio.file.Path;
import java.util.Locale;

/** How an input file is laid out. */
public enum InputFormat {
    /** One text per line; blank lines are skipped. */
    LINES,
    /** One JSON object per line, with a text field and an optional id field; blank lines are skipped. */
    JSONL,
    /** Comma-separated values with a header row naming a text column and an optional id column. */
    CSV;

    /**
     * Picks the format from a file name: {@code .jsonl}/{@code .ndjson} are JSONL, {@code .csv} is CSV,
     * anything else is LINES.
     */
    public static InputFormat byFileName(Path file) {
        Path name = file.getFileName();
        String lower = name == null ? "" : name.toString().toLowerCase(Locale.ROOT);
        if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) {
            return JSONL;
        }
        if (lower.endsWith(".csv")) {
            return CSV;
        }
        return LINES;
    }
}
