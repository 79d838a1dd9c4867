package io.modelpool.devstack;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code modelpool-devstack}: runs the local stack in the foreground until SIGINT or SIGTERM, then closes it
 * (registry first, then the broker, which flushes its logs).
 */
@Command(
        name = "modelpool-devstack",
        sortOptions = false,
        description = {
            "Runs a local Apache Kafka broker (KRaft) and a Confluent-compatible schema registry in one process.",
            "Data is kept in --data-dir across restarts unless --ephemeral is given. Stop with Ctrl-C."
        })
public final class DevStackMain implements Callable<Integer> {

    private static final String LOG_CONFIG = "io/modelpool/devstack/devstack-logback.xml";

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            defaultValue = ".modelpool/devstack",
            description = "Directory for the broker's data, reused on the next start (default: ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--ephemeral",
            description = "Keep data in a temporary directory that is deleted on exit instead of --data-dir.")
    boolean ephemeral;

    @Option(
            names = "--kafka-port",
            paramLabel = "PORT",
            defaultValue = "9092",
            description = "Kafka client port on 127.0.0.1, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int kafkaPort;

    @Option(
            names = "--registry-port",
            paramLabel = "PORT",
            defaultValue = "8081",
            description = "Schema registry HTTP port on 127.0.0.1, 0 for any free port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(
            names = "--partitions",
            paramLabel = "N",
            defaultValue = "3",
            description = "Partitions of topics the broker creates on first use (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(
            names = {"-h", "--help"},
            usageHelp = true,
            description = "Show this help and exit.")
    boolean help;

    @Spec
    CommandSpec spec;

    public static void main(String[] args) {
        if (System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", LOG_CONFIG);
        }
        int code = new CommandLine(new DevStackMain()).execute(args);
        // After a signal the JVM is already shutting down and main returns normally; exit only on failure.
        if (code != 0) {
            System.exit(code);
        }
    }

    @Override
    public Integer call() throws InterruptedException {
        DevStackOptions options;
        try {
            options = new DevStackOptions(ephemeral ? null : dataDir, kafkaPort, registryPort, partitions);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
        }
        DevStack stack = DevStack.start(options);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime()
                .addShutdownHook(new Thread(
                        () -> {
                            stack.close();
                            closed.countDown();
                        },
                        "devstack-shutdown"));
        PrintWriter out = spec.commandLine().getOut();
        out.println("Kafka bootstrap servers: " + stack.bootstrapServers());
        out.println("Schema registry URL:     " + stack.schemaRegistryUrl());
        out.println("Data directory:          " + stack.dataDir() + (ephemeral ? " (deleted on exit)" : ""));
        out.println("Press Ctrl-C to stop.");
        out.flush();
        closed.await();
        return 0;
    }
}
