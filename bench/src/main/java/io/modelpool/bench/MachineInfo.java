package io.modelpool.bench;

import ai.onnxruntime.OrtEnvironment;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What the numbers were measured on: cores, CPU, JVM, ONNX Runtime, load. Linux-only details read /proc. */
record MachineInfo(int cores, String cpuModel, String jvm, String heap, String onnxRuntime, String loadAverage) {

    /**
     * Describes this machine. Call it after the contenders exist: it touches the ONNX Runtime environment,
     * whose name and log level only its first user may set.
     *
     * @param loadAverage the load average to record, taken before the run started
     */
    static MachineInfo current(String loadAverage) {
        Runtime runtime = Runtime.getRuntime();
        String jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
        String heap = (runtime.maxMemory() >> 20) + " MiB max heap";
        return new MachineInfo(
                runtime.availableProcessors(),
                readCpuModel(),
                jvm,
                heap,
                OrtEnvironment.getEnvironment().getVersion(),
                loadAverage);
    }

    /** The 1, 5 and 15 minute load averages from /proc/loadavg, or "unknown" off Linux. */
    static String currentLoadAverage() {
        Path loadavg = Path.of("/proc/loadavg");
        if (!Files.isReadable(loadavg)) {
            return "unknown";
        }
        try {
            String[] fields = Files.readString(loadavg).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + loadavg, e);
        }
    }

    private static String readCpuModel() {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (!Files.isReadable(cpuinfo)) {
            return System.getProperty("os.arch");
        }
        try {
            List<String> lines = Files.readAllLines(cpuinfo);
            return lines.stream()
                    .filter(line -> line.startsWith("model name"))
                    .map(line -> line.substring(line.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(System.getProperty("os.arch"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + cpuinfo, e);
        }
    }
}
