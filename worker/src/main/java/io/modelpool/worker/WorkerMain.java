package io.modelpool.worker;

import io.modelpool.worker.config.ConfigDocs;
import io.modelpool.worker.config.ConfigSources;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.lifecycle.ShutdownCoordinator;
import io.modelpool.worker.lifecycle.Signals;
import io.modelpool.worker.manifest.ManifestException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code modelpool-worker} command.
 *
 * <p>Exit status: 0 after a graceful shutdown; 1 when the worker failed or was forced to stop (a second signal, the
 * shutdown watchdog); 2 when the configuration or the command line is invalid (nothing was started).
 */
@Command(
        name = "modelpool-worker",
        mixinStandardHelpOptions = true,
        versionProvider = WorkerMain.Version.class,
        description = "Kafka batch inference worker: consumes Avro requests, runs ONNX models, publishes results.",
        subcommands = {WorkerMain.Run.class, WorkerMain.Docs.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:graceful shutdown",
            "1:worker failed, or forced exit (second signal, watchdog)",
            "2:invalid configuration or usage"
        })
public final class WorkerMain implements Callable<Integer> {

    static final int EXIT_OK = 0;
    static final int EXIT_FAILED = 1;
    static final int EXIT_CONFIG = 2;

    private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

    @Override
    public Integer call() {
        CommandLine.usage(this, System.out);
        return EXIT_CONFIG;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new WorkerMain());
        cl.setExitCodeExceptionMapper(e -> e instanceof ConfigException
                        || e instanceof ManifestException
                        || e instanceof CommandLine.ParameterException
                ? EXIT_CONFIG
                : EXIT_FAILED);
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("modelpool-worker: " + ex.getMessage());
            ex.getCommandLine().usage(ex.getCommandLine().getErr());
            return EXIT_CONFIG;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            if (ex instanceof ConfigException || ex instanceof ManifestException) {
                commandLine.getErr().println("modelpool-worker: invalid configuration: " + ex.getMessage());
                return EXIT_CONFIG;
            }
            log.error("modelpool-worker failed", ex);
            return EXIT_FAILED;
        });
        return cl;
    }

    /**
     * Starts a worker, installs the signal handlers and blocks until its shutdown sequence ends. Returns the exit
     * status.
     */
    static int runUntilShutdown(WorkerConfig config, IntakeListener listener) throws InterruptedException {
        Worker worker = Worker.start(config, listener);
        ShutdownCoordinator coordinator = new ShutdownCoordinator(
                worker, config.drainTimeout().plus(config.closeTimeout()), Runtime.getRuntime()::halt);
        Signals.install(coordinator);
        log.info(
                "Signal handlers installed: SIGTERM or SIGINT drains for up to {} ms, a second one exits at once "
                        + "with status 1",
                config.drainTimeout().toMillis());
        return coordinator.awaitCompletion();
    }

    @Command(
            name = "run",
            mixinStandardHelpOptions = true,
            description = "Join a Kafka cluster and serve the manifest's models until SIGTERM or SIGINT.")
    static final class Run implements Callable<Integer> {

        @Option(
                names = {"-c", "--config"},
                paramLabel = "FILE",
                description = "Worker configuration (YAML or .properties). See docs/configuration.md.")
        Path config;

        @Option(
                names = "--set",
                paramLabel = "KEY=VALUE",
                description = "Override one setting; repeatable. Wins over the file and the environment.")
        List<String> overrides = new ArrayList<>();

        @Override
        public Integer call() throws InterruptedException {
            Map<String, String> settings =
                    ConfigSources.merge(config, System.getenv(), ConfigSources.parseFlags(overrides));
            WorkerConfig workerConfig = WorkerConfig.of(settings);
            return runUntilShutdown(workerConfig, IntakeListener.NONE);
        }
    }

    @Command(
            name = "config-docs",
            mixinStandardHelpOptions = true,
            description = "Print the configuration reference (Markdown), or write it to FILE.")
    static final class Docs implements Callable<Integer> {

        @CommandLine.Parameters(arity = "0..1", paramLabel = "FILE")
        Path out;

        @Override
        public Integer call() throws java.io.IOException {
            if (out == null) {
                System.out.print(ConfigDocs.render());
            } else {
                java.nio.file.Files.writeString(out, ConfigDocs.render());
            }
            return EXIT_OK;
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = WorkerMain.class.getPackage().getImplementationVersion();
            return new String[] {"modelpool-worker " + (v == null ? "(development build)" : v)};
        }
    }
}
