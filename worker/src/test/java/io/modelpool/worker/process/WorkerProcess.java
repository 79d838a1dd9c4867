package io.modelpool.worker.process;

import static org.awaitility.Awaitility.await;

import io.modelpool.worker.WorkerMain;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker in its own JVM, as an operator runs it: {@code java -cp <this JVM's class path>
 * io.modelpool.worker.WorkerMain run --set key=value ...}, its output (the operator log, on stderr) in a file under
 * {@code target/process-logs}, and real signals: SIGTERM ({@link Process#destroy}), SIGINT ({@code kill -INT}) and
 * SIGKILL ({@link Process#destroyForcibly}).
 *
 * <p>The class path is this JVM's {@code java.class.path}; surefire passes it complete because the worker POM turns
 * off its manifest-only booter jar. The child is started with SIGINT and SIGTERM at their default disposition where
 * GNU {@code env --default-signal} exists, so a test run started from a shell that ignores SIGINT (a background job)
 * still delivers it.
 *
 * <p>Not thread-safe: one test thread drives one process.
 */
public final class WorkerProcess implements AutoCloseable {

    public static final Path LOG_DIR = Path.of("target", "process-logs");

    private static final Pattern DRAINED =
            Pattern.compile("Graceful shutdown complete \\((\\d+\\.\\d+)s, (\\d+) requests drained\\)");
    private static final Pattern ABANDONED =
            Pattern.compile("Drain timed out after \\d+ ms: (\\d+) requests abandoned");

    private static final Pattern FINAL_LINE =
            Pattern.compile("Shutdown complete \\((\\d+\\.\\d+)s,", Pattern.CASE_INSENSITIVE);

    private static final Pattern IN_FLIGHT = Pattern.compile("Shutdown: draining (\\d+) in-flight requests");

    private static Boolean envResetsSignals;

    private final String name;
    private final Process process;
    private final Path log;
    private long signalledAtNanos;

    /** How the process ended, and how long after the last signal. */
    public record Exit(int status, Duration afterSignal) {}

    private WorkerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@code modelpool-worker run} with {@code settings} as {@code --set} flags and returns at once (the
     * worker is not ready yet: see {@link #awaitAssignment}).
     */
    public static WorkerProcess start(String name, Map<String, String> settings) {
        return start(name, settings, false);
    }

    /**
     * Like {@link #start(String, Map)}; with {@code sigintIgnored} the JVM starts with SIGINT ignored, as a
     * non-interactive shell starts a background job ({@code trap '' INT; exec java ...}).
     */
    public static WorkerProcess start(String name, Map<String, String> settings, boolean sigintIgnored) {
        return start(name, settings, sigintIgnored, Map.of());
    }

    /**
     * Like {@link #start(String, Map, boolean)}, with {@code environment} added to the child's environment (it wins
     * over the default {@code MODELPOOL_LOG_LEVEL=INFO}).
     */
    public static WorkerProcess start(
            String name, Map<String, String> settings, boolean sigintIgnored, Map<String, String> environment) {
        try {
            Files.createDirectories(LOG_DIR);
            Path log = LOG_DIR.resolve(name + ".log");
            Path argFile = LOG_DIR.resolve(name + ".args");
            // The class path goes through a java @argfile: a single command-line argument is limited to 128 KiB.
            Files.writeString(
                    argFile,
                    "-cp \""
                            + System.getProperty("java.class.path")
                                    .replace("\\", "\\\\")
                                    .replace("\"", "\\\"") + "\"\n",
                    StandardCharsets.UTF_8);
            List<String> command = new ArrayList<>();
            if (sigintIgnored) {
                command.addAll(List.of("/bin/sh", "-c", "trap '' INT; exec \"$@\"", "sh"));
            } else if (envResetsSignals()) {
                command.addAll(List.of("env", "--default-signal=INT,TERM"));
            }
            command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            command.addAll(List.of(
                    "-Xms64m",
                    "-Xmx384m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "@" + argFile.toAbsolutePath(),
                    WorkerMain.class.getName(),
                    "run"));
            new TreeMap<>(settings).forEach((k, v) -> {
                command.add("--set");
                command.add(k + "=" + v);
            });
            ProcessBuilder builder =
                    new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().put("MODELPOOL_LOG_LEVEL", "INFO");
            builder.environment().putAll(environment);
            return new WorkerProcess(name, builder.start(), log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start worker process " + name, e);
        }
    }

    private static synchronized boolean envResetsSignals() {
        if (envResetsSignals == null) {
            try {
                Process probe = new ProcessBuilder("env", "--default-signal=INT,TERM", "true")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                envResetsSignals = probe.waitFor(10, TimeUnit.SECONDS) && probe.exitValue() == 0;
            } catch (IOException e) {
                envResetsSignals = false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                envResetsSignals = false;
            }
        }
        return envResetsSignals;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Waits until the worker's consumer holds partitions: it is consuming, and its signal handlers are in place. */
    public WorkerProcess awaitAssignment(Duration limit) {
        return awaitLog("Partitions assigned: [", limit);
    }

    /** Waits until the log contains {@code fragment}; fails early, with the log, if the process exits first. */
    public WorkerProcess awaitLog(String fragment, Duration limit) {
        await(name + " logs \"" + fragment + "\"")
                .atMost(limit)
                .pollInterval(Duration.ofMillis(20))
                .until(() -> {
                    if (log().contains(fragment)) {
                        return true;
                    }
                    if (!process.isAlive()) {
                        throw new AssertionError(name + " exited with status " + process.exitValue()
                                + " before logging \"" + fragment + "\"; its log:\n" + log());
                    }
                    return false;
                });
        return this;
    }

    /** SIGTERM: the operator's (or Kubernetes') graceful stop. */
    public void sigterm() {
        signalledAtNanos = System.nanoTime();
        process.destroy();
    }

    /** SIGINT, as Ctrl-C in a terminal sends it. */
    public void sigint() {
        signalledAtNanos = System.nanoTime();
        try {
            Process kill = new ProcessBuilder("kill", "-INT", Long.toString(process.pid()))
                    .inheritIO()
                    .start();
            if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -INT " + process.pid() + " failed");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run kill -INT", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while sending SIGINT", e);
        }
    }

    /** SIGKILL: a crash; nothing in the JVM runs. */
    public void sigkill() {
        signalledAtNanos = System.nanoTime();
        process.destroyForcibly();
    }

    /**
     * Waits for the process to end, at most {@code limit}, and measures from the last signal to the moment the
     * process was reaped.
     *
     * @throws AssertionError with the log when it is still running after {@code limit}
     */
    public Exit awaitExit(Duration limit) {
        try {
            if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new AssertionError(
                        name + " still running " + limit.toMillis() + " ms after the signal; its " + "log:\n" + log());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for " + name, e);
        }
        return new Exit(process.exitValue(), Duration.ofNanos(System.nanoTime() - signalledAtNanos));
    }

    /** How many times the log contains {@code fragment} so far. */
    public int logCount(String fragment) {
        String text = log();
        int n = 0;
        for (int i = text.indexOf(fragment); i >= 0; i = text.indexOf(fragment, i + fragment.length())) {
            n++;
        }
        return n;
    }

    /** Everything the worker has written so far. */
    public String log() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + log, e);
        }
    }

    /** The drained count of {@code Graceful shutdown complete (X.XXs, N requests drained)}, or -1 if not logged. */
    public int drainedCount() {
        Matcher m = DRAINED.matcher(log());
        return m.find() ? Integer.parseInt(m.group(2)) : -1;
    }

    /**
     * The seconds of the final shutdown line ({@code Graceful shutdown complete (X.XXs, ...} or its abandoned form),
     * which the worker measures from the signal; -1 if not logged.
     */
    public double reportedShutdownSeconds() {
        Matcher m = FINAL_LINE.matcher(log());
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    /** The count of {@code Shutdown: draining N in-flight requests}, or -1 if not logged. */
    public int inFlightAtShutdown() {
        Matcher m = IN_FLIGHT.matcher(log());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** The abandoned count of the drain-timeout warning, or -1 if not logged. */
    public int abandonedCount() {
        Matcher m = ABANDONED.matcher(log());
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /** Kills the process if it still runs (a failed test must not leave workers behind). */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return name + " (pid " + process.pid() + ")";
    }
}
