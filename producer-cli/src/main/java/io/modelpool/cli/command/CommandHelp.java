package io.modelpool.cli.command;

/** Help text shared by the commands; annotation values must be constants, hence one class of them. */
final class CommandHelp {
    static final String EXIT_CODES_HEADING = "%nExit codes:%n";
    static final String EXIT_OK = "0:All inputs succeeded.";
    static final String EXIT_COULD_NOT_RUN =
            "1:Could not run: bad options or input, Kafka or the schema registry unreachable, a missing topic, or a timeout.";
    static final String EXIT_SOME_FAILED = "2:Some inputs failed; their errors are in the output.";

    private CommandHelp() {}
}
