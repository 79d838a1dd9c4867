package io.modelpool.worker.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a scenario reports what it measured: one line per figure, appended to {@code target/reliability/figures.txt}
 * (with the time and the scale) and logged, so a rerun leaves the numbers next to the build.
 */
final class Figures {

    static final Path FILE = Path.of("target", "reliability", "figures.txt");
    private static final Logger log = LoggerFactory.getLogger(Figures.class);

    private Figures() {}

    static synchronized void report(String scenario, String format, Object... args) {
        String line = Instant.now() + " [" + Scale.name() + "] " + scenario + ": " + String.format(format, args);
        log.info("{}", line);
        try {
            Files.createDirectories(FILE.getParent());
            Files.writeString(
                    FILE,
                    line + System.lineSeparator(),
                    StandardCharsets.UTF_8,
                    StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to " + FILE, e);
        }
    }
}
