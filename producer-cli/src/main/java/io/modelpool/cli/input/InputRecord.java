package io.modelpool.cli.input;

import java.util.Objects;

/**
 * One input to embed.
 *
 * @param number where the input is in its file, from 1: the line number for text lines and JSONL (blank
 *     lines count), the record number for CSV (the first row after the header is 1; a quoted field may
 *     span several lines)
 * @param id the caller's id for this input, or {@code null} when the file gives none
 * @param text the text to embed
 */
public record InputRecord(long number, String id, String text) {
    public InputRecord {
        if (number < 1) {
            throw new IllegalArgumentException("number must be >= 1, was " + number);
        }
        Objects.requireNonNull(text, "text");
    }
}
