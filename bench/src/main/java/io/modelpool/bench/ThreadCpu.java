package io.modelpool.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * Where a process's CPU time goes, by thread group, between two snapshots. Java threads are grouped by their full
 * names (from {@link ThreadMXBean}); what the JVM does outside Java threads (the JIT compilers, the garbage collector)
 * is read from {@code /proc/self/task} on Linux, where each native thread's name and CPU ticks are listed, and is
 * otherwise reported as one remainder ("JVM internals").
 */
final class ThreadCpu {

    private static final Path TASKS = Path.of("/proc/self/task");
    /** Linux reports thread CPU time in clock ticks of 10 ms (USER_HZ is 100 on every mainstream kernel). */
    private static final long NANOS_PER_TICK = 10_000_000L;

    /** One reading: CPU nanoseconds per Java thread id and name, per native thread name, and of the process. */
    record Snapshot(Map<String, Long> javaThreads, Map<String, Long> nativeThreads, long process) {}

    private ThreadCpu() {}

    static Snapshot snapshot() {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        Map<String, Long> java = new HashMap<>();
        for (ThreadInfo info : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (info != null) {
                long cpu = mx.getThreadCpuTime(info.getThreadId());
                if (cpu > 0) {
                    java.put(info.getThreadName() + "#" + info.getThreadId(), cpu);
                }
            }
        }
        return new Snapshot(java, nativeThreads(), ProcessCpu.nanos());
    }

    /** CPU by native thread name (JIT compiler and GC threads only), empty where /proc is not there. */
    private static Map<String, Long> nativeThreads() {
        Map<String, Long> out = new HashMap<>();
        if (!Files.isDirectory(TASKS)) {
            return out;
        }
        try (Stream<Path> tasks = Files.list(TASKS)) {
            tasks.forEach(task -> {
                try {
                    String name = Files.readString(task.resolve("comm")).strip();
                    String group = name.contains("CompilerThre")
                            ? "JIT compiler"
                            : name.startsWith("GC Thread") || name.startsWith("VM Thread") ? "GC and VM threads" : null;
                    if (group != null) {
                        String stat = Files.readString(task.resolve("stat"));
                        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                        long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
                        out.merge(group, ticks * NANOS_PER_TICK, Long::sum);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading
                }
            });
        } catch (IOException e) {
            return Map.of();
        }
        return out;
    }

    /**
     * The CPU used between {@code before} and {@code after} as shares of {@code wallNanos} (2 busy cores = 200%), by
     * group, largest first, as "group 12%, ...". {@code groupOf} maps a Java thread's name to its group.
     */
    static String split(Snapshot before, Snapshot after, long wallNanos, Function<String, String> groupOf) {
        Map<String, Long> groups = new HashMap<>();
        long javaTotal = 0;
        for (Map.Entry<String, Long> e : after.javaThreads().entrySet()) {
            long delta = e.getValue() - before.javaThreads().getOrDefault(e.getKey(), 0L);
            String name = e.getKey().substring(0, e.getKey().lastIndexOf('#'));
            groups.merge(groupOf.apply(name), delta, Long::sum);
            javaTotal += delta;
        }
        long internals = after.process() - before.process() - javaTotal;
        for (Map.Entry<String, Long> e : after.nativeThreads().entrySet()) {
            long delta = e.getValue() - before.nativeThreads().getOrDefault(e.getKey(), 0L);
            groups.merge(e.getKey(), delta, Long::sum);
            internals -= delta;
        }
        groups.merge(
                after.nativeThreads().isEmpty() ? "JVM internals (JIT, GC)" : "other JVM threads",
                Math.max(0, internals),
                Long::sum);
        Map<String, Long> sorted = new LinkedHashMap<>();
        groups.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        StringBuilder sb = new StringBuilder();
        sorted.forEach((group, nanos) -> {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(String.format(Locale.ROOT, "%s %.0f%%", group, 100.0 * nanos / wallNanos));
        });
        sb.append(String.format(
                Locale.ROOT, "; whole process %.0f%%", 100.0 * (after.process() - before.process()) / wallNanos));
        return sb.toString();
    }
}
