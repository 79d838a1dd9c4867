package io.modelpool.cli;

/**
 * A job could not run, for a reason the user can act on: a bad option, a missing file, a malformed
 * input, an unreachable broker, a missing topic. The message is one or two sentences, printed as is
 * (no stack trace), and never contains secrets. The command exits with {@link ExitCodes#COULD_NOT_RUN}.
 */
public class CliException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CliException(String message) {
        super(message);
    }

    public CliException(String message, Throwable cause) {
        super(message, cause);
    }
}
