package io.modelpool.cli.command;

import java.io.PrintStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** The {@code modelpool} command: its sub-commands do the work. */
@Command(
        name = "modelpool",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = {
            "Send inference jobs to a modelpool worker fleet through Kafka and collect",
            "the results. Options follow the command name: modelpool embed --input ... ",
            ""
        },
        subcommands = {
            EmbedCommand.class,
            SubmitCommand.class,
            ResultsCommand.class,
            StatusCommand.class,
            WaitCommand.class,
            CancelCommand.class
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {CommandHelp.EXIT_OK, CommandHelp.EXIT_COULD_NOT_RUN, CommandHelp.EXIT_SOME_FAILED},
        footer = {"%nExample:%n  modelpool embed --input sentences.txt --output vectors.jsonl"})
public final class ModelpoolCommand implements Runnable {
    @Spec
    CommandSpec spec;

    private final PrintStream out;
    private final PrintStream err;

    /**
     * @param out where results go ({@code results} prints JSON lines here)
     * @param err where messages, progress and summaries go
     */
    public ModelpoolCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    PrintStream out() {
        return out;
    }

    PrintStream err() {
        return err;
    }

    @Override
    public void run() {
        throw new ParameterException(
                spec.commandLine(), "Name a command: embed, submit or results (jobs: status, wait, cancel)");
    }
}
