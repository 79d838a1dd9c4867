package io.modelpool.worker;

import io.modelpool.cli.CliException;
import io.modelpool.cli.EmbedJob;
import io.modelpool.cli.EmbedSummary;
import io.modelpool.cli.JobSpec;
import io.modelpool.cli.KafkaConnection;
import io.modelpool.cli.input.InputSpec;
import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.DevStackOptions;
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
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code modelpool-worker local}: the embedded local stack (an in-process Kafka broker and a Confluent-compatible
 * schema registry) plus one worker, for a first run, development and demos.
 *
 * <p>With {@code --embed FILE} or {@code --embed-sample} it runs one embedding job through Kafka end to end, writes
 * the vectors, prints the throughput and shuts everything down; the exit status is the job's (0 all ok, 2 some
 * inputs failed, 1 could not run). Without them it serves until SIGTERM or SIGINT.
 */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Start the embedded local stack (Kafka broker + schema registry) and a worker.")
final class LocalCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(LocalCommand.class);
    static final String SAMPLE = "samples/sentences.txt";

    @Option(names = "--data-dir", paramLabel = "DIR",
            description = "Keep the broker's and registry's data here across runs. Default: a temporary directory "
                    + "when embedding, .modelpool/devstack when serving.")
    Path dataDir;

    @Option(names = "--kafka-port", paramLabel = "PORT",
            description = "Broker port. Default: 9092 when serving, any free port when embedding.")
    Integer kafkaPort;

    @Option(names = "--registry-port", paramLabel = "PORT",
            description = "Schema registry port. Default: 8081 when serving, any free port when embedding.")
    Integer registryPort;

    @Option(names = "--partitions", defaultValue = "4", description = "Partitions per topic (default ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--embed", paramLabel = "FILE",
            description = "Embed this file (text lines, .jsonl with id/text, or .csv with a text column), then exit.")
    Path embed;

    @Option(names = "--embed-sample", description = "Embed the bundled sample corpus (about 2,000 sentences), then exit.")
    boolean embedSample;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", defaultValue = "out/embeddings.jsonl",
            description = "Where --embed writes its vectors (JSONL, input order; default ${DEFAULT-VALUE}).")
    Path output;

    @Option(names = "--model", defaultValue = JobSpec.DEFAULT_MODEL,
            description = "Model key to embed with (default ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--no-progress", description = "Do not draw a progress bar.")
    boolean noProgress;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one worker setting; repeatable.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        boolean embedding = embed != null || embedSample;
        if (embed != null && embedSample) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--embed and --embed-sample are mutually exclusive");
        }
        Path input = embedSample ? extractSample() : embed;
        DevStackOptions options = dataDir != null ? DevStackOptions.persistent(dataDir)
                : embedding ? DevStackOptions.ephemeral() : DevStackOptions.persistent(Path.of(".modelpool", "devstack"));
        options = options.withPorts(kafkaPort != null ? kafkaPort : embedding ? 0 : 9092,
                registryPort != null ? registryPort : embedding ? 0 : 8081).withDefaultPartitions(partitions);
        PrintStream out = System.out;
        try (DevStack stack = DevStack.start(options)) {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put(WorkerConfig.BOOTSTRAP_SERVERS, stack.bootstrapServers());
            settings.put(WorkerConfig.SCHEMA_REGISTRY_URL, stack.schemaRegistryUrl());
            settings.put(WorkerConfig.CREATE_TOPICS, "true");
            settings.put(WorkerConfig.TOPIC_PARTITIONS, Integer.toString(partitions));
            settings.put(WorkerConfig.GROUP_ID, "modelpool-local");
            settings.putAll(ConfigSources.parseFlags(overrides));
            WorkerConfig config = WorkerConfig.of(settings);
            Worker worker = Worker.start(config, IntakeListener.NONE);
            out.printf("Local stack ready: bootstrap servers %s, schema registry %s, topic prefix %s%n",
                    stack.bootstrapServers(), stack.schemaRegistryUrl(), config.topicPrefix());
            if (!embedding) {
                ShutdownCoordinator coordinator = new ShutdownCoordinator(worker,
                        config.drainTimeout().plus(config.closeTimeout()), Runtime.getRuntime()::halt);
                Signals.install(coordinator);
                out.println("Serving until SIGTERM or Ctrl-C.");
                return coordinator.awaitCompletion();
            }
            return embedThenStop(stack, config, worker, input, out);
        }
    }

    private int embedThenStop(DevStack stack, WorkerConfig config, Worker worker, Path input, PrintStream out)
            throws InterruptedException {
        KafkaConnection connection = KafkaConnection.of(stack.bootstrapServers(), stack.schemaRegistryUrl())
                .withTopicPrefix(config.topicPrefix());
        EmbedJob job;
        try {
            JobSpec spec = JobSpec.of(connection, InputSpec.of(input)).withModel(model);
            job = new EmbedJob(EmbedJob.Options.of(spec, output).withProgress(!noProgress), System.err);
        } catch (CliException e) {
            System.err.println("modelpool-worker local: " + e.getMessage());
            worker.beginShutdown();
            worker.awaitShutdown();
            return WorkerMain.EXIT_CONFIG;
        }
        EmbedJob running = job;
        ShutdownCoordinator coordinator = new ShutdownCoordinator(new ShutdownCoordinator.Target() {
            @Override
            public void beginShutdown() {
                running.stop();
                worker.beginShutdown();
            }

            @Override
            public ShutdownCoordinator.Outcome awaitShutdown() throws InterruptedException {
                return worker.awaitShutdown();
            }
        }, config.drainTimeout().plus(config.closeTimeout()), Runtime.getRuntime()::halt);
        Signals.install(coordinator);
        EmbedSummary summary;
        try {
            summary = job.run();
        } catch (CliException e) {
            System.err.println("modelpool-worker local: embedding failed: " + e.getMessage());
            coordinator.requestStop("embedding failed");
            coordinator.awaitCompletion();
            return WorkerMain.EXIT_FAILED;
        }
        out.println(summary.describe());
        out.printf(Locale.ROOT, "Throughput through Kafka, end to end (produce, worker, results): %.1f inputs/s%n",
                summary.inputsPerSecond());
        coordinator.requestStop("local job finished");
        int status = coordinator.awaitCompletion();
        log.debug("Worker exited with status {}", status);
        return status != 0 ? status : summary.exitCode();
    }

    private static Path extractSample() throws IOException {
        Path file = Files.createTempFile("modelpool-sample-", ".txt");
        file.toFile().deleteOnExit();
        try (InputStream in = LocalCommand.class.getClassLoader().getResourceAsStream(SAMPLE)) {
            if (in == null) {
                throw new IOException("the bundled sample corpus " + SAMPLE + " is missing from the class path");
            }
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }
}
