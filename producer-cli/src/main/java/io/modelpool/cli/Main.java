package io.modelpool.cli;

import io.modelpool.cli.command.ModelpoolCommand;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.MissingParameterException;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code modelpool} entry point. Exit codes: {@link ExitCodes#OK}, {@link ExitCodes#SOME_INPUTS_FAILED},
 * and {@link ExitCodes#COULD_NOT_RUN} for everything that stopped the command, usage errors included.
 */
public final class Main {
    /** The CLI's own logging setup; named so that it never shadows a host application's logback.xml. */
    static final String LOGBACK_CONFIG = "modelpool-cli-logback.xml";

    private Main() {}

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOGBACK_CONFIG);
        }
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.exit(execute(args, out, System.err));
    }

    /**
     * Runs one command line in-process and returns its exit code; never exits the JVM.
     *
     * @param out where results and the job id go
     * @param err where messages, the progress bar and summaries go
     */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        return commandLine(out, err).execute(args);
    }

    static CommandLine commandLine(PrintStream out, PrintStream err) {
        CommandLine commandLine = new CommandLine(new ModelpoolCommand(out, err));
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setParameterExceptionHandler(Main::usageError);
        commandLine.setExecutionExceptionHandler((failure, failed, parsed) -> {
            Logger log = LoggerFactory.getLogger(Main.class);
            if (failure instanceof CliException) {
                failed.getErr().println("modelpool " + failed.getCommandName() + ": " + failure.getMessage());
                log.debug("Command failed", failure);
            } else {
                failed.getErr().println("modelpool " + failed.getCommandName() + ": unexpected failure: " + failure);
                log.error("Unexpected failure", failure);
            }
            failed.getErr().flush();
            return ExitCodes.COULD_NOT_RUN;
        });
        return commandLine;
    }

    private static int usageError(ParameterException reported, String[] args) {
        CommandLine failed = reported.getCommandLine();
        // A mistyped option also leaves a required one "missing"; the typo is the error worth reporting.
        ParameterException problem = reported instanceof MissingParameterException
                        && !failed.getUnmatchedArguments().isEmpty()
                ? new UnmatchedArgumentException(failed, failed.getUnmatchedArguments())
                : reported;
        PrintWriter err = failed.getErr();
        err.println("modelpool: " + problem.getMessage());
        UnmatchedArgumentException.printSuggestions(problem, err);
        err.println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return ExitCodes.COULD_NOT_RUN;
    }
}
