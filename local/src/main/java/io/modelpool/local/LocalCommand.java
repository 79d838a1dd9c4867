package io.modelpool.local;

import io.modelpool.cli.CliException;
import io.modelpool.cli.EmbedJob;
import io.modelpool.cli.EmbedSummary;
import io.modelpool.cli.ExitCodes;
import io.modelpool.cli.JobSpec;
import io.modelpool.cli.KafkaConnection;
import io.modelpool.cli.input.InputSpec;
import io.modelpool.cli.output.Progress;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
import io.modelpool.worker.Worker;
import io.modelpool.worker.config.ConfigSources;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.lifecycle.ShutdownCoordinator;
import io.modelpool.worker.lifecycle.Signals;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code modelpool-local}: the embedded local stack (an in-process Kafka broker and a Confluent-compatible schema
 * registry) plus one worker, for a first run, development and demos.
 *
 * <p>With {@code --embed FILE} or {@code --embed-sample} it runs one embedding job through Kafka end to end, writes
 * the vectors, shuts everything down and prints a summary; without them it serves until SIGTERM or SIGINT. The
 * terminal shows one line saying where the stack is, the job's progress and the summary; the whole log goes to
 * {@code DATA_DIR/logs/local.log} ({@code --verbose} shows it on the terminal too).
 *
 * <p>No logger is touched before {@link LocalLogging#configure} has run, so nothing reaches the terminal through
 * Logback's default set-up.
 */
@Command(
        name = "modelpool-local",
        mixinStandardHelpOptions = true,
        versionProvider = LocalMain.Version.class,
        description = "Start the embedded local stack (Kafka broker + schema registry) and a worker; "
                + "with --embed or --embed-sample, run one embedding job through it and exit.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:the job succeeded, or the stack served until a signal and shut down cleanly",
            "1:could not run (bad options, input or set-up), the job was stopped or timed out, or the worker "
                    + "failed",
            "2:the job ran to its end but some inputs failed (their errors are in the output)"
        },
        footer = {
            "%nExamples:",
            "  java -jar local/target/modelpool-local.jar --embed-sample",
            "  java -jar local/target/modelpool-local.jar --embed docs.jsonl -o vectors.jsonl",
            "  java -jar local/target/modelpool-local.jar            # serve on 127.0.0.1:9092 and :8081"
        })
final class LocalCommand implements Callable<Integer> {

    static final String SAMPLE = "samples/sentences.txt";
    static final Path DEFAULT_DATA_DIR = Path.of(".modelpool");

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where the local files go: logs/local.log, the job tracker's state (jobs/) and, when "
                    + "serving or when this option is given, the broker's and registry's data (devstack/), kept "
                    + "across runs. Default: ${DEFAULT-VALUE}; an embed run without this option keeps its broker "
                    + "data in a temporary directory, deleted at exit.",
            defaultValue = ".modelpool")
    Path dataDir;

    @Option(
            names = "--kafka-port",
            paramLabel = "PORT",
            description = "Broker port. Default: 9092 when serving, any free port when embedding.")
    Integer kafkaPort;

    @Option(
            names = "--registry-port",
            paramLabel = "PORT",
            description = "Schema registry port. Default: 8081 when serving, any free port when embedding.")
    Integer registryPort;

    @Option(
            names = "--partitions",
            defaultValue = "4",
            description = "Partitions per topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = "--embed",
            paramLabel = "FILE",
            description = "Embed this file (text lines, .jsonl with id/text, or .csv with a text column), then exit.")
    Path embed;

    @Option(
            names = "--embed-sample",
            description = "Embed the bundled sample corpus (about 2,000 sentences), then exit.")
    boolean embedSample;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            defaultValue = "out/embeddings.jsonl",
            description = "Where --embed writes its vectors (JSONL, input order; default ${DEFAULT-VALUE}).")
    Path output;

    @Option(
            names = "--model",
            defaultValue = JobSpec.DEFAULT_MODEL,
            description = "Model key to embed with (default ${DEFAULT-VALUE}).")
    String model;

    @Option(
            names = "--no-progress",
            description = "Do not show progress (no bar on a terminal, no progress lines " + "elsewhere).")
    boolean noProgress;

    @Option(
            names = {"-v", "--verbose"},
            description = "Show the whole log on the terminal too (as does setting "
                    + "MODELPOOL_LOG_LEVEL, which also sets the level of modelpool's loggers).")
    boolean verbose;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one worker setting; repeatable.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        boolean embedding = embed != null || embedSample;
        if (embed != null && embedSample) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--embed and --embed-sample are mutually exclusive");
        }
        PrintStream err = System.err;
        boolean terminal = Progress.stderrIsTerminal();
        Path logFile = dataDir.resolve("logs").resolve("local.log");
        LocalLogging.configure(
                logFile, verbose || LocalLogging.levelRequested(), LocalLogging.levelFromEnvironment(), terminal);
        Logger log = LoggerFactory.getLogger(LocalCommand.class);
        log.info(
                "modelpool-local starting: data directory {}, embedding {}",
                dataDir.toAbsolutePath(),
                embedSample ? "the bundled sample" : embed);

        boolean dataDirGiven = spec.commandLine().getParseResult().hasMatchedOption("--data-dir");
        DevStackOptions options = embedding && !dataDirGiven
                ? DevStackOptions.ephemeral()
                : DevStackOptions.persistent(dataDir.resolve("devstack"));
        options = options.withPorts(
                        kafkaPort != null ? kafkaPort : embedding ? 0 : 9092,
                        registryPort != null ? registryPort : embedding ? 0 : 8081)
                .withDefaultPartitions(partitions);
        if (terminal) {
            err.print("Starting a local Kafka broker, schema registry and worker...");
            err.flush();
        }
        try (DevStack stack = DevStack.start(options)) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
            settings.put(WorkerConfig.GROUP_ID, "modelpool-local");
            settings.put(WorkerConfig.DATA_DIR, dataDir.toString());
            settings.putAll(ConfigSources.parseFlags(overrides));
            WorkerConfig config = WorkerConfig.of(settings);
            Worker worker = Worker.start(config, IntakeListener.NONE);
            err.print(terminal ? "\r\u001b[K" : "");
            err.printf(
                    "Local stack: Kafka %s, schema registry %s, topics %s.*, logs %s%n",
                    stack.bootstrapServers(), stack.schemaRegistryUrl(), config.topicPrefix(), logFile);
            if (!embedding) {
                ShutdownCoordinator coordinator = new ShutdownCoordinator(
                        new ShutdownCoordinator.Target() {
                            @Override
                            public void beginShutdown() {
                                TerminalFilter.stackStopping();
                                worker.beginShutdown();
                            }

                            @Override
                            public ShutdownCoordinator.Outcome awaitShutdown() throws InterruptedException {
                                return worker.awaitShutdown();
                            }
                        },
                        config.drainTimeout().plus(config.closeTimeout()),
                        Runtime.getRuntime()::halt);
                Signals.install(coordinator);
                err.println("Serving until Ctrl-C (or SIGTERM).");
                return coordinator.awaitCompletion();
            }
            return embedThenStop(
                    stack, config, worker, embedSample ? extractSample(dataDir) : embed, err, logFile, log);
        }
    }

    private int embedThenStop(
            DevStack stack, WorkerConfig config, Worker worker, Path input, PrintStream err, Path logFile, Logger log)
            throws InterruptedException {
        KafkaConnection connection = KafkaConnection.of(stack.bootstrapServers(), stack.schemaRegistryUrl())
                .withTopicPrefix(config.topicPrefix());
        EmbedJob job;
        try {
            JobSpec jobSpec = JobSpec.of(connection, InputSpec.of(input)).withModel(model);
            job = new EmbedJob(EmbedJob.Options.of(jobSpec, output).withProgress(!noProgress), err);
        } catch (CliException e) {
            err.println("modelpool-local: " + e.getMessage());
            worker.beginShutdown();
            worker.awaitShutdown();
            return ExitCodes.COULD_NOT_RUN;
        }
        EmbedJob running = job;
        ShutdownCoordinator coordinator = new ShutdownCoordinator(
                new ShutdownCoordinator.Target() {
                    @Override
                    public void beginShutdown() {
                        TerminalFilter.stackStopping();
                        running.stop();
                        worker.beginShutdown();
                    }

                    @Override
                    public ShutdownCoordinator.Outcome awaitShutdown() throws InterruptedException {
                        return worker.awaitShutdown();
                    }
                },
                config.drainTimeout().plus(config.closeTimeout()),
                Runtime.getRuntime()::halt);
        Signals.install(coordinator);
        EmbedSummary summary;
        try {
            summary = job.run();
        } catch (CliException e) {
            err.println("modelpool-local: embedding failed: " + e.getMessage());
            log.warn("Embedding failed", e);
            coordinator.requestStop("embedding failed");
            coordinator.awaitCompletion();
            return ExitCodes.COULD_NOT_RUN;
        }
        TerminalFilter.stackStopping();
        coordinator.requestStop("local job finished");
        int status = coordinator.awaitCompletion();
        log.info("Worker exited with status {}", status);
        err.print(summary.describe());
        err.printf("Logs in %s%n", logFile);
        err.flush();
        return status != 0 ? status : summary.exitCode();
    }

    /** Copies the bundled corpus to {@code dataDir}, where the embed job reads it like any file. */
    private static Path extractSample(Path dataDir) throws IOException {
        Path file = dataDir.resolve("samples").resolve("sentences.txt");
        Files.createDirectories(file.getParent());
        try (InputStream in = LocalCommand.class.getClassLoader().getResourceAsStream(SAMPLE)) {
            if (in == null) {
                throw new IOException("the bundled sample corpus " + SAMPLE + " is missing from the class path");
            }
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
