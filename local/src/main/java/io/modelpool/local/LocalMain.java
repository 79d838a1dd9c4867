package io.modelpool.local;

import io.modelpool.cli.ExitCodes;
import picocli.CommandLine;

/**
 * The launcher's entry point, {@code java -jar local/target/modelpool-local.jar}. Exit codes are those of
 * {@link LocalCommand}: 0, 1 (could not run, stopped, failed) and 2 (some inputs failed).
 */
public final class LocalMain {

    private LocalMain() {}

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new LocalCommand());
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("modelpool-local: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Run 'modelpool-local --help' for usage.");
            return ExitCodes.COULD_NOT_RUN;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            // one line for the person at the terminal; the stack trace is in the log file
            commandLine.getErr().println("modelpool-local: " + ex.getMessage());
            org.slf4j.LoggerFactory.getLogger(LocalMain.class).error("modelpool-local failed", ex);
            return ExitCodes.COULD_NOT_RUN;
        });
        return cl;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = LocalMain.class.getPackage().getImplementationVersion();
            return new String[] {"modelpool-local " + (v == null ? "(development build)" : v)};
        }
    }
}
