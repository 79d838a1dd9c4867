package io.modelpool.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Contender (a) of issue 25: the user's own path. A worker process, started as a user starts one on a laptop
 * ({@code java -jar local/target/modelpool-local.jar}: the launcher serving its local broker, registry and worker,
 * every setting at its default), and for every pass the {@code modelpool embed} CLI as a process of its own
 * ({@code bin/modelpool embed -i FILE -o OUT}, the documented command, which runs producer-cli/target/modelpool-cli.jar). A pass's time is the CLI
 * process's wall-clock time from its start to its exit, JVM start-up and job registration included: what a user
 * timing the command sees. Reading the vectors back for the cosine check happens after the clock stops.
 *
 * <p>CPU of a pass: the worker process's CPU time over the pass plus the CLI process's own (this JVM's reaped
 * children's time from {@code /proc/self/stat}). Both jars must be built first
 * ({@code ./mvnw -pl local,producer-cli -am package -DskipTests}).
 */
final class UserPathContender implements Contender {

    static final String KEY = "user-path";
    static final Path WORKER_JAR = Path.of("local/target/modelpool-local.jar");
    static final Path CLI_JAR = Path.of("producer-cli/target/modelpool-cli.jar");
    /** The documented way to run the CLI: it starts {@link #CLI_JAR} with the script's JVM options. */
    static final Path CLI_SCRIPT = Path.of("bin/modelpool");

    private static final Pattern STACK_LINE =
            Pattern.compile("Local stack: Kafka (\\S+), schema registry (\\S+), topics");
    private static final long START_TIMEOUT_SECONDS = 180;
    private static final long EMBED_TIMEOUT_SECONDS = 1800;
    /** Linux reports CPU time in clock ticks of 10 ms (USER_HZ is 100 on every mainstream kernel). */
    private static final long NANOS_PER_TICK = 10_000_000L;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Process worker;
    private final String bootstrap;
    private final String registry;
    private final Path workerLog;
    private final String cliHeap;
    private Path jfrDir;
    private List<String> written;
    private Path input;
    private int run;
    private long lastWallNanos = -1;
    private long lastCpuNanos = -1;
    /** The worker process's CPU ticks by thread group over the passes since {@link #startProfiling}, or the warm-up. */
    private final Map<String, Long> workerThreadTicks = new HashMap<>();

    private long cliTicks;
    private long measuredWallNanos;

    private UserPathContender(
            Path dir, Process worker, String bootstrap, String registry, Path workerLog, String cliHeap) {
        this.dir = dir;
        this.worker = worker;
        this.bootstrap = bootstrap;
        this.registry = registry;
        this.workerLog = workerLog;
        this.cliHeap = cliHeap;
    }

    /**
     * Starts the launcher in serving mode on free ports, in a directory of its own, and waits for its
     * "Local stack" line.
     *
     * @param workerHeap the worker's {@code -Xmx}, or null for the JVM's default (what a user gets)
     * @param cliHeap    the CLI's {@code -Xmx}, or null for the JVM's default
     */
    static UserPathContender start(String workerHeap, String cliHeap) throws IOException, InterruptedException {
        requireJar(WORKER_JAR);
        requireJar(CLI_JAR);
        Path dir = Files.createTempDirectory("modelpool-user-path-");
        Path log = dir.resolve("worker-stderr.log");
        List<String> command = new ArrayList<>(List.of(java()));
        if (workerHeap != null) {
            command.add("-Xmx" + workerHeap);
        }
        command.addAll(List.of(
                "-jar",
                WORKER_JAR.toString(),
                "--data-dir",
                dir.resolve("data").toString(),
                "--kafka-port",
                "0",
                "--registry-port",
                "0",
                "--no-progress"));
        Process worker = new ProcessBuilder(command)
                .redirectOutput(dir.resolve("worker-stdout.log").toFile())
                .redirectErrorStream(false)
                .start();
        CompletableFuture<String[]> ready = new CompletableFuture<>();
        Thread pump = new Thread(() -> copyUntilReady(worker.getErrorStream(), log, ready), "user-path-worker-stderr");
        pump.setDaemon(true);
        pump.start();
        try {
            String[] endpoints = ready.get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            return new UserPathContender(dir, worker, endpoints[0], endpoints[1], log, cliHeap);
        } catch (TimeoutException | java.util.concurrent.ExecutionException e) {
            worker.destroyForcibly();
            throw new IllegalStateException(
                    "the worker process did not print its 'Local stack' line within "
                            + START_TIMEOUT_SECONDS + " s (exit " + (worker.isAlive() ? "none yet" : worker.exitValue())
                            + "); its stderr is in " + log,
                    e);
        }
    }

    private static void requireJar(Path jar) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(
                    jar + " is missing; build it first: " + "./mvnw -B -pl local,producer-cli -am package -DskipTests");
        }
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Copies the worker's stderr to its log file, completing {@code ready} with its endpoints once it prints them. */
    private static void copyUntilReady(InputStream stderr, Path log, CompletableFuture<String[]> ready) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8));
                var out = Files.newBufferedWriter(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                out.write(line);
                out.newLine();
                out.flush();
                Matcher m = STACK_LINE.matcher(line);
                if (m.find()) {
                    ready.complete(new String[] {m.group(1), m.group(2).replaceAll("[,.]$", "")});
                }
            }
            ready.completeExceptionally(new IOException("the worker process closed its stderr"));
        } catch (IOException e) {
            ready.completeExceptionally(e);
        }
    }

    /** From now on every CLI run records a JFR profile into {@code dir}, and so does the worker until {@link #close}. */
    void startProfiling(Path jfr) throws IOException, InterruptedException {
        Files.createDirectories(jfr);
        this.jfrDir = jfr.toAbsolutePath();
        jcmd("JFR.start", "name=user-path", "settings=profile", "filename=" + jfrDir.resolve("worker.jfr"));
    }

    private void jcmd(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(), Long.toString(worker.pid())));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("jcmd " + String.join(" ", args) + " failed: " + out.strip());
        }
    }

    @Override
    public String key() {
        return KEY;
    }

    @Override
    public String description() {
        return String.format(
                Locale.ROOT,
                "worker process (modelpool-local.jar serving: broker, registry, worker, "
                        + "defaults) + `bin/modelpool embed -i FILE -o OUT` as its own process per pass (%s heap), timed from "
                        + "the CLI's start to its exit",
                cliHeap == null ? "default" : "-Xmx" + cliHeap);
    }

    @Override
    public float[][] embed(List<String> texts) throws Exception {
        if (!texts.equals(written)) {
            input = dir.resolve("input-" + run + ".txt");
            Files.write(input, texts, StandardCharsets.UTF_8);
            written = texts;
        }
        if (!worker.isAlive()) {
            throw new IllegalStateException(
                    "the worker process exited with " + worker.exitValue() + "; see " + workerLog);
        }
        Path output = dir.resolve("output.jsonl");
        Path cliLog = dir.resolve("cli-" + run + ".log");
        List<String> javaOptions = new ArrayList<>();
        if (cliHeap != null) {
            javaOptions.add("-Xmx" + cliHeap);
        }
        if (jfrDir != null) {
            javaOptions.add(
                    "-XX:StartFlightRecording=settings=profile,filename=" + jfrDir.resolve("cli-" + run + ".jfr"));
        }
        List<String> command = List.of(
                CLI_SCRIPT.toString(),
                "embed",
                "-i",
                input.toString(),
                "-o",
                output.toString(),
                "--bootstrap-servers",
                bootstrap,
                "--schema-registry",
                registry,
                "--no-progress");
        run++;
        long workerCpuBefore = processTicks(worker.pid());
        long childCpuBefore = reapedChildTicks();
        Map<String, Long> threadsBefore = threadTicks(worker.pid());
        long start = System.nanoTime();
        ProcessBuilder builder =
                new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(cliLog.toFile());
        builder.environment().put("MODELPOOL_JAVA_OPTS", String.join(" ", javaOptions));
        Process cli = builder.start();
        if (!cli.waitFor(EMBED_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            cli.destroyForcibly();
            throw new IllegalStateException(
                    "modelpool embed did not finish within " + EMBED_TIMEOUT_SECONDS + " s; see " + cliLog);
        }
        lastWallNanos = System.nanoTime() - start;
        long cliCpu = reapedChildTicks() - childCpuBefore;
        lastCpuNanos = (processTicks(worker.pid()) - workerCpuBefore + cliCpu) * NANOS_PER_TICK;
        threadTicks(worker.pid())
                .forEach((group, ticks) ->
                        workerThreadTicks.merge(group, ticks - threadsBefore.getOrDefault(group, 0L), Long::sum));
        cliTicks += cliCpu;
        measuredWallNanos += lastWallNanos;
        if (cli.exitValue() != 0) {
            throw new IllegalStateException("modelpool embed exited with " + cli.exitValue() + ": "
                    + Files.readString(cliLog).strip());
        }
        EmbeddingBench.print("  user-path CLI: %s", lastSummary(cliLog));
        return readVectors(output, texts.size());
    }

    private static String lastSummary(Path cliLog) throws IOException {
        return Files.readAllLines(cliLog, StandardCharsets.UTF_8).stream()
                .filter(l -> l.startsWith("Job "))
                .reduce((a, b) -> b)
                .orElse("(no summary line)");
    }

    private static float[][] readVectors(Path output, int expected) throws IOException {
        float[][] vectors = new float[expected][];
        int i = 0;
        try (BufferedReader in = Files.newBufferedReader(output, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (i == expected) {
                    throw new IOException(output + " has more than " + expected + " lines");
                }
                JsonNode vector = JSON.readTree(line).get("vector");
                if (vector == null || !vector.isArray()) {
                    throw new IOException(output + ":" + (i + 1) + " has no vector: " + line);
                }
                float[] v = new float[vector.size()];
                for (int d = 0; d < v.length; d++) {
                    v[d] = (float) vector.get(d).asDouble();
                }
                vectors[i++] = v;
            }
        }
        if (i != expected) {
            throw new IOException(output + " has " + i + " lines, expected " + expected);
        }
        return vectors;
    }

    @Override
    public long lastWallNanos() {
        return lastWallNanos;
    }

    @Override
    public long lastCpuNanos() {
        return lastCpuNanos;
    }

    /** Resets the CPU split by thread: what {@link #cpuSplit} reports from now on covers the passes to come. */
    void resetCpuSplit() {
        workerThreadTicks.clear();
        cliTicks = 0;
        measuredWallNanos = 0;
    }

    /**
     * Where the CPU of the user-path passes since the last {@link #resetCpuSplit} went, as shares of their wall time
     * (2 busy cores = 200%): the worker process's threads by group, and the CLI process as a whole.
     */
    String cpuSplit() {
        if (measuredWallNanos == 0) {
            return "no user-path pass measured";
        }
        Map<String, Long> groups = new HashMap<>(workerThreadTicks);
        groups.put("CLI process (all threads)", cliTicks);
        StringBuilder sb = new StringBuilder();
        long total = 0;
        for (Map.Entry<String, Long> e : groups.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .toList()) {
            total += e.getValue();
            double share = 100.0 * e.getValue() * NANOS_PER_TICK / measuredWallNanos;
            if (share >= 0.5) {
                sb.append(sb.length() == 0 ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%s %.0f%%", e.getKey(), share));
            }
        }
        return sb.append(String.format(
                        Locale.ROOT, "; both processes %.0f%%", 100.0 * total * NANOS_PER_TICK / measuredWallNanos))
                .toString();
    }

    /** CPU ticks per thread group of a live process, from /proc/PID/task/TID/{comm,stat}. */
    private static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> out = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            tasks.forEach(task -> {
                try {
                    String group =
                            threadGroup(Files.readString(task.resolve("comm")).strip());
                    out.merge(group, statTicks(task.resolve("stat"), 11), Long::sum);
                } catch (IOException | UncheckedIOException e) {
                    out.merge("(threads that ended while read)", 0L, Long::sum);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the worker's threads in /proc/" + pid + "/task", e);
        }
        return out;
    }

    /** A thread's group from its Linux name (the first 15 characters of its Java name). */
    static String threadGroup(String comm) {
        if (comm.contains("CompilerThre")) {
            return "JIT compiler";
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("VM Thread") || comm.startsWith("G1 ")) {
            return "GC and VM threads";
        }
        if (comm.startsWith("modelpool-intak")) {
            return "worker intake thread";
        }
        if (comm.startsWith("modelpool-text-")) {
            return "inference workers";
        }
        if (comm.startsWith("kafka-producer-")) {
            return "Kafka producer I/O threads";
        }
        if (comm.startsWith("data-plane-kaf")
                || comm.startsWith("kafka-")
                || comm.startsWith("broker-")
                || comm.startsWith("controller-")
                || comm.startsWith("quorum")
                || comm.startsWith("ExpirationReap")
                || comm.startsWith("LogDirFailure")
                || comm.startsWith("TxnMarker")
                || comm.startsWith("raft")) {
            return "broker (" + comm.replaceAll("\\d+", "N") + ")";
        }
        if (comm.contains("StreamThread") || comm.contains("jobs")) {
            return "job tracker (" + comm.replaceAll("\\d+", "N") + ")";
        }
        return comm.replaceAll("\\d+", "N");
    }

    /** utime + stime of a live process, in clock ticks. */
    private static long processTicks(long pid) {
        return statTicks(Path.of("/proc/" + pid + "/stat"), 11);
    }

    /** cutime + cstime of this JVM: the CPU of the children it has waited for, in clock ticks. */
    private static long reapedChildTicks() {
        return statTicks(Path.of("/proc/self/stat"), 13);
    }

    private static long statTicks(Path stat, int field) {
        try {
            String text = Files.readString(stat);
            String[] f = text.substring(text.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[field]) + Long.parseLong(f[field + 1]);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + stat + " (the user-path CPU needs Linux /proc)", e);
        }
    }

    @Override
    public void close() {
        try {
            if (jfrDir != null && worker.isAlive()) {
                jcmd("JFR.stop", "name=user-path");
                EmbeddingBench.print("JFR recordings in %s", jfrDir);
            }
        } catch (IOException e) {
            EmbeddingBench.print("could not stop the worker's JFR recording: %s", e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.destroy(); // SIGTERM: the worker drains and exits on its own
        try {
            if (!worker.waitFor(30, TimeUnit.SECONDS)) {
                worker.destroyForcibly();
            }
        } catch (InterruptedException e) {
            worker.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        EmbeddingBench.print(
                "user-path worker stopped (exit %s); logs in %s",
                worker.isAlive() ? "none" : Integer.toString(worker.exitValue()), dir);
    }
}
