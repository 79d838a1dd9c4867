package io.modelpool.cli.input;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the inputs are and how to read them.
 *
 * @param file the input file
 * @param format its layout, or {@code null} to pick it from the file name ({@link InputFormat#byFileName})
 * @param idField the JSONL field or CSV column holding each input's id, or {@code null} for the default:
 *     {@value #DEFAULT_ID_FIELD} when present, otherwise no ids (the caller numbers the lines)
 * @param textField the JSONL field or CSV column holding the text, or {@code null} for {@value #DEFAULT_TEXT_FIELD}
 */
public record InputSpec(Path file, InputFormat format, String idField, String textField) {
    public static final String DEFAULT_ID_FIELD = "id";
    public static final String DEFAULT_TEXT_FIELD = "text";

    public InputSpec {
        Objects.requireNonNull(file, "file");
    }

    /** An input of plain text lines, or of the format its name implies, with the default fields. */
    public static InputSpec of(Path file) {
        return new InputSpec(file, null, null, null);
    }

    /** The format given, or the one the file name implies. */
    public InputFormat resolvedFormat() {
        return format != null ? format : InputFormat.byFileName(file);
    }

    /** The text field or column to read. */
    public String resolvedTextField() {
        return textField != null ? textField : DEFAULT_TEXT_FIELD;
    }

    /** True when the caller named the id field, so that every record must carry it. */
    public boolean idFieldRequired() {
        return idField != null;
    }

    /** The id field or column to read. */
    public String resolvedIdField() {
        return idField != null ? idField : DEFAULT_ID_FIELD;
    }
}
