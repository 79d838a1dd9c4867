package io.modelpool.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Refreshes one generated section of a hand-written Markdown page. A section lies between
 * {@code <!-- BEGIN GENERATED: name -->} and {@code <!-- END GENERATED: name -->}; everything outside the
 * markers is left as it is. A page without the section gets it appended.
 */
final class ReportFile {

    private ReportFile() {}

    static void replaceSection(Path file, String section, String markdown) throws IOException {
        String begin = "<!-- BEGIN GENERATED: " + section + " -->";
        String end = "<!-- END GENERATED: " + section + " -->";
        String block = begin + "\n" + markdown.strip() + "\n" + end;
        String page = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "# Benchmarks\n";
        int from = page.indexOf(begin);
        int to = page.indexOf(end);
        String updated;
        if (from >= 0 && to > from) {
            updated = page.substring(0, from) + block + page.substring(to + end.length());
        } else {
            updated = page.stripTrailing() + "\n\n" + block + "\n";
        }
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, updated, StandardCharsets.UTF_8);
    }
}
