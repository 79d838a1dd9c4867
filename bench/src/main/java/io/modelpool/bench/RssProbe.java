package io.modelpool.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process's resident set size, read from {@code VmRSS} in /proc/self/status (Linux). */
final class RssProbe {

    private static final Path STATUS = Path.of("/proc/self/status");

    private RssProbe() {}

    static boolean available() {
        return Files.isReadable(STATUS);
    }

    /** The current resident set size in KiB. */
    static long residentKib() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(
                            line.substring("VmRSS:".length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + STATUS, e);
        }
        throw new IllegalStateException(STATUS + " has no VmRSS line");
    }
}
