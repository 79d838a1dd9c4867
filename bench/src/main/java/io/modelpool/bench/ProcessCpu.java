package io.modelpool.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.OperatingSystemMXBean;

/** CPU time used by this whole process (every thread, native ONNX Runtime threads included). */
final class ProcessCpu {

    private ProcessCpu() {}

    /** Process CPU time in nanoseconds, or -1 where the JVM does not report it. */
    static long nanos() {
        OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }
}
