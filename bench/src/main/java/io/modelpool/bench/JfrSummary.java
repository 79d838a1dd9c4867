package io.modelpool.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a process's CPU went, from a JFR recording ({@code settings=profile}): Java execution samples by thread, by
 * the code a sample is in (the first frame of a known library, counting from the top of the stack) and by top frame;
 * native method samples by thread (a thread in native code is sampled whether it runs or blocks, so these show where
 * threads wait as much as where they compute); plus the JIT's compile time and the GC's pause time. Used on the recordings that
 * {@code EmbeddingBench --user-path --jfr DIR} leaves (worker.jfr, cli-N.jfr).
 *
 * <p>Usage: {@code JfrSummary FILE...}.
 */
public final class JfrSummary {

    /** Package prefixes of the code a sample can be in, first match from the stack's top wins. */
    private static final List<String[]> AREAS = List.of(
            new String[] {"ai.onnxruntime.", "ONNX Runtime (inference)"},
            new String[] {"ai.djl.huggingface.", "tokenizer (DJL HuggingFace)"},
            new String[] {"org.apache.avro.", "Avro"},
            new String[] {"io.modelpool.schemas.serde.", "Avro serde (ours)"},
            new String[] {"com.fasterxml.jackson.", "JSON (Jackson)"},
            new String[] {"io.modelpool.cli.output.", "CLI output writing (ours)"},
            new String[] {"io.modelpool.cli.", "CLI (ours)"},
            new String[] {"org.apache.kafka.streams.", "Kafka Streams (job tracker)"},
            new String[] {"io.modelpool.worker.jobs.", "job tracker (ours)"},
            new String[] {"io.modelpool.worker.capability.", "capability code (ours)"},
            new String[] {"io.modelpool.worker.pool.", "pool (ours)"},
            new String[] {"io.modelpool.worker.kafka.", "intake (ours)"},
            new String[] {"io.modelpool.", "other modelpool code"},
            new String[] {"kafka.", "broker"},
            new String[] {"org.apache.kafka.server.", "broker"},
            new String[] {"org.apache.kafka.storage.", "broker"},
            new String[] {"org.apache.kafka.raft.", "broker"},
            new String[] {"org.apache.kafka.metadata.", "broker"},
            new String[] {"org.apache.kafka.controller.", "broker"},
            new String[] {"org.apache.kafka.image.", "broker"},
            new String[] {"org.apache.kafka.network.", "broker"},
            new String[] {"org.apache.kafka.clients.", "Kafka clients"},
            new String[] {"org.apache.kafka.common.", "Kafka common (clients and broker)"},
            new String[] {"me.tongfei.progressbar.", "progress bar"},
            new String[] {"ch.qos.logback.", "logging"},
            new String[] {"org.slf4j.", "logging"},
            new String[] {"io.micrometer.", "metrics"},
            new String[] {"java.", "JDK only"},
            new String[] {"jdk.", "JDK only"},
            new String[] {"sun.", "JDK only"});

    private JfrSummary() {}

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: JfrSummary FILE.jfr...");
            System.exit(2);
        }
        for (String file : args) {
            summarise(Path.of(file));
        }
    }

    private static void summarise(Path file) throws IOException {
        Map<String, Integer> byThread = new HashMap<>();
        Map<String, Integer> byArea = new HashMap<>();
        Map<String, Integer> byTopFrame = new HashMap<>();
        int samples = 0;
        int nativeSamples = 0;
        Duration compile = Duration.ZERO;
        int compilations = 0;
        Duration gcPause = Duration.ZERO;
        double cpuSum = 0;
        int cpuReadings = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            String type = event.getEventType().getName();
            switch (type) {
                case "jdk.ExecutionSample", "jdk.NativeMethodSample" -> {
                    boolean isNative = type.equals("jdk.NativeMethodSample");
                    String thread = threadGroup(event.getThread("sampledThread"));
                    String key = isNative ? thread + " (in native code)" : thread;
                    byThread.merge(key, 1, Integer::sum);
                    RecordedStackTrace stack = event.getStackTrace();
                    if (!isNative) {
                        byArea.merge(area(stack), 1, Integer::sum);
                        byTopFrame.merge(topFrame(stack), 1, Integer::sum);
                        samples++;
                    } else {
                        nativeSamples++;
                    }
                }
                case "jdk.Compilation" -> {
                    compile = compile.plus(event.getDuration());
                    compilations++;
                }
                case "jdk.GarbageCollection" -> gcPause = gcPause.plus(event.getDuration());
                case "jdk.CPULoad" -> {
                    cpuSum += event.getFloat("jvmUser") + event.getFloat("jvmSystem");
                    cpuReadings++;
                }
                default -> {}
            }
        }
        System.out.printf(
                Locale.ROOT,
                "%n== %s: %d Java execution samples, %d native method samples%n",
                file,
                samples,
                nativeSamples);
        System.out.printf(
                Locale.ROOT,
                "JIT: %d compilations, %.1f s compiling; GC pauses %.2f s; JVM CPU load mean "
                        + "%.0f%% of the machine%n",
                compilations,
                compile.toMillis() / 1e3,
                gcPause.toMillis() / 1e3,
                cpuReadings == 0 ? Double.NaN : 100 * cpuSum / cpuReadings);
        print(
                "by thread (a native sample is a thread in native code, running or blocked)",
                byThread,
                samples + nativeSamples,
                20);
        print("Java samples by code (first known library from the top of the stack)", byArea, samples, 25);
        print("by top frame (Java samples)", byTopFrame, samples, 25);
    }

    private static void print(String title, Map<String, Integer> counts, int total, int limit) {
        System.out.println(title + ":");
        Map<String, Integer> sorted = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(limit)
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        sorted.forEach((key, n) ->
                System.out.printf(Locale.ROOT, "  %5.1f%%  %6d  %s%n", 100.0 * n / Math.max(1, total), n, key));
    }

    /** A thread's name with numbers cut, so pools of alike threads count together. */
    private static String threadGroup(RecordedThread thread) {
        if (thread == null) {
            return "(unknown thread)";
        }
        String name = thread.getJavaName() != null ? thread.getJavaName() : thread.getOSName();
        return name == null ? "(unnamed)" : name.replaceAll("\\d+", "N");
    }

    private static String area(RecordedStackTrace stack) {
        if (stack == null) {
            return "(no stack)";
        }
        for (RecordedFrame frame : stack.getFrames()) {
            if (frame.getMethod() == null || frame.getMethod().getType() == null) {
                continue;
            }
            String type = frame.getMethod().getType().getName();
            for (String[] area : AREAS) {
                if (type.startsWith(area[0]) && !area[1].equals("JDK only")) {
                    return area[1];
                }
            }
        }
        return "JDK only";
    }

    private static String topFrame(RecordedStackTrace stack) {
        if (stack == null || stack.getFrames().isEmpty()) {
            return "(no stack)";
        }
        RecordedFrame top = stack.getFrames().get(0);
        return top.getMethod().getType().getName() + "." + top.getMethod().getName();
    }
}
