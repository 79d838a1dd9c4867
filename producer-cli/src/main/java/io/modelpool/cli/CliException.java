package io.modelpool.cli;

import java.time.Duration;

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

    /**
     * Checks a duration option.
     *
     * @return {@code value}
     * @throws CliException naming {@code option} and the value when it is missing, zero or negative
     */
    static Duration requirePositive(String option, Duration value) {
        if (value == null || value.isZero() || value.isNegative()) {
            throw new CliException(option + " must be positive, was " + value);
        }
        return value;
    }
}
