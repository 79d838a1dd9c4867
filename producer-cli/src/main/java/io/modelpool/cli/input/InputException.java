package io.modelpool.cli.input;

import java.io.IOException;
import java.nio.file.Path;

/** An input file that cannot be read as its format says; the message names the file and line. */
public final class InputException extends IOException {
    private static final long serialVersionUID = 1L;

    /** A problem on one line of a line-oriented file. */
    public InputException(Path file, long lineNumber, String problem) {
        this(file, "line", lineNumber, problem);
    }

    /** A problem at one {@code unit} ("line", "record") of the file. */
    public InputException(Path file, String unit, long number, String problem) {
        super(file + " " + unit + " " + number + ": " + problem);
    }

    public InputException(Path file, String problem) {
        super(file + ": " + problem);
    }
}
