package io.modelpool.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code modelpool-devstack} command, run as its own JVM and stopped with a real SIGTERM. */
class DevStackMainTest {

    @TempDir
    Path work;

    @Test
    void printsWhereTheStackListensServesUntilSigtermThenClosesCleanly() throws Exception {
        Process process = launch("--ephemeral", "--kafka-port", "0", "--registry-port", "0");
        List<String> out = new CopyOnWriteArrayList<>();
        Thread reader = drain(process, out);
        try {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> line(out, "Schema registry URL:").isPresent());
            String bootstrap = value(line(out, "Kafka bootstrap servers:").orElseThrow());
            String registryUrl = value(line(out, "Schema registry URL:").orElseThrow());
            Path dataDir =
                    Path.of(value(line(out, "Data directory:").orElseThrow()).replace(" (deleted on exit)", ""));

            assertThat(bootstrap).matches("127\\.0\\.0\\.1:\\d+");
            HttpResponse<String> config = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create(registryUrl + "/config"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(config.statusCode()).isEqualTo(200);
            assertThat(dataDir).isDirectory();

            process.destroy();

            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue())
                    .as("terminated by SIGTERM after shutdown hooks ran")
                    .isEqualTo(143);
            assertThat(Files.exists(dataDir))
                    .as("the stack was closed and its temporary data deleted")
                    .isFalse();
            assertThat(Files.readString(work.resolve("stderr.log"))).contains("Devstack stopped");
        } finally {
            process.destroyForcibly();
            reader.join(TimeUnit.SECONDS.toMillis(10));
        }
    }

    @Test
    void anInvalidOptionExitsWithUsageErrorBeforeStartingAnything() throws Exception {
        Process process = launch("--kafka-port", "70000");
        List<String> out = new CopyOnWriteArrayList<>();
        Thread reader = drain(process, out);

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        reader.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(Files.readString(work.resolve("stderr.log"))).contains("kafkaPort must be within 0..65535");
    }

    private Process launch(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m",
                "-cp",
                System.getProperty("java.class.path"),
                DevStackMain.class.getName()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .directory(work.toFile())
                .redirectError(work.resolve("stderr.log").toFile())
                .start();
    }

    private static Thread drain(Process process, List<String> lines) {
        Thread reader = new Thread(
                () -> {
                    try (BufferedReader in = new BufferedReader(
                            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                        for (String line = in.readLine(); line != null; line = in.readLine()) {
                            lines.add(line);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                "devstack-main-stdout");
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    private static Optional<String> line(List<String> lines, String prefix) {
        return lines.stream().filter(l -> l.startsWith(prefix)).findFirst();
    }

    private static String value(String line) {
        return line.substring(line.indexOf(':') + 1).trim();
    }
}
