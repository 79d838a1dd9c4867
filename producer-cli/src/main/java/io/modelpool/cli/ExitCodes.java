package io.modelpool.cli;

/** What the {@code modelpool} command's exit status means. */
public final class ExitCodes {
    /** Every input succeeded. */
    public static final int OK = 0;
    /**
     * The command could not run or did not finish: bad options, unreadable input, Kafka or the schema
     * registry unreachable, a missing topic, or a timeout with results still missing.
     */
    public static final int COULD_NOT_RUN = 1;
    /** The job ran to the end but some inputs failed; their errors are in the output. */
    public static final int SOME_INPUTS_FAILED = 2;
    /** {@code cancel}: no such job on the job status topic. */
    public static final int UNKNOWN_JOB = 3;
    /** {@code cancel}: the job has already ended (COMPLETED, CANCELLED or EXPIRED); nothing was cancelled. */
    public static final int JOB_ENDED = 4;

    private ExitCodes() {}
}
