package io.modelpool.local;

import static org.assertj.core.api.Assertions.assertThat;

import com.pty4j.PtyProcess;
import com.pty4j.PtyProcessBuilder;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * README's main job as a person runs it: {@code modelpool-local --embed-sample} in a 160x50 terminal (a real
 * pseudo-terminal from pty4j, so that the launcher sees a terminal on stderr), and what the screen shows.
 */
class MainJobTerminalTest {

    private static final Pattern ANSI = Pattern.compile("\u001b\\[[0-9;?]*[A-Za-z]");

    @Test
    void theMainJobShowsWhereTheStackIsItsProgressAndASummaryAndNoLogLines(@TempDir Path dir) throws Exception {
        Path output = dir.resolve("out").resolve("embeddings.jsonl");
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx1g",
                "-cp",
                System.getProperty("java.class.path"),
                LocalMain.class.getName(),
                "--embed-sample",
                "--data-dir",
                dir.resolve(".modelpool").toString(),
                "-o",
                output.toString()));
        Map<String, String> env = new HashMap<>(System.getenv());
        env.put("TERM", "xterm-256color");
        env.remove("MODELPOOL_LOG_LEVEL");
        env.remove("JAVA_TOOL_OPTIONS");
        PtyProcess process = new PtyProcessBuilder(command.toArray(String[]::new))
                .setEnvironment(env)
                .setDirectory(dir.toString())
                .setInitialColumns(160)
                .setInitialRows(50)
                .setRedirectErrorStream(true)
                .start();
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> copy(process.getInputStream(), screen), "pty-reader");
        reader.setDaemon(true);
        reader.start();
        boolean exited = process.waitFor(5, TimeUnit.MINUTES);
        if (!exited) {
            process.destroyForcibly();
        }
        reader.join(TimeUnit.SECONDS.toMillis(10));
        String raw = screen.toString(StandardCharsets.UTF_8);
        List<String> lines = rendered(raw);

        assertThat(exited).as(raw).isTrue();
        assertThat(process.exitValue()).as(raw).isZero();
        assertThat(raw)
                .as("no log line reaches the terminal")
                .doesNotContain("level=INFO", "level=WARN", "INFO", "WARN", "Exception");
        assertThat(lines)
                .as(raw)
                .anySatisfy(l -> assertThat(l)
                        .startsWith("Local stack: Kafka 127.0.0.1:")
                        .contains("schema registry http://127.0.0.1:")
                        .contains("logs "));
        assertThat(raw)
                .as("the progress bar, with a rate")
                .contains("2000/2000 inputs")
                .contains("inputs/s");
        List<String> tail = lines.subList(Math.max(0, lines.size() - 3), lines.size());
        assertThat(tail.get(0))
                .as(raw)
                .matches("Job job-\\S+: 2000 inputs in 2000 requests, 2000 ok, 0 failed, "
                        + "\\d+ truncated, \\d+ tokens, in [0-9.]+ s \\([0-9.]+ inputs/s\\)");
        assertThat(tail.get(1)).isEqualTo("Wrote 2000 lines to " + output);
        assertThat(tail.get(2))
                .isEqualTo(
                        "Logs in " + dir.resolve(".modelpool").resolve("logs").resolve("local.log"));
        assertThat(Files.readAllLines(output)).hasSize(2000);
        assertThat(Files.readString(dir.resolve(".modelpool/logs/local.log")))
                .as("the whole log is in the file")
                .contains("level=INFO");
    }

    /** The lines as a terminal leaves them: colours dropped, each line what follows its last carriage return. */
    static List<String> rendered(String raw) {
        List<String> lines = new ArrayList<>();
        for (String line : ANSI.matcher(raw).replaceAll("").split("\r?\n", -1)) {
            String shown = line.substring(line.lastIndexOf('\r') + 1).stripTrailing();
            if (!shown.isEmpty()) {
                lines.add(shown);
            }
        }
        return lines;
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] buffer = new byte[8192];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                synchronized (out) {
                    out.write(buffer, 0, n);
                }
            }
        } catch (IOException endOfScreen) {
            // Linux answers EIO instead of end-of-file once the process on the pty's other side has exited: what was
            // read until then is the whole screen, and the test's assertions judge it
            return;
        }
    }
}
