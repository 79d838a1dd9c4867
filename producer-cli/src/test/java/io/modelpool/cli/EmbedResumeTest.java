package io.modelpool.cli;

import static io.modelpool.cli.EmbedCommandTest.readJsonLines;
import static io.modelpool.cli.EmbedCommandTest.sentences;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelpool.cli.resume.JobState;
import io.modelpool.v1.TextEmbeddingRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code modelpool embed --errors} and {@code --resume} against the devstack's broker and registry, with a test
 * responder as the worker. The resume test runs the CLI as its own JVM and kills it with SIGKILL.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbedResumeTest {

    @TempDir
    Path dir;

    @Test
    void failedInputsGoToTheErrorsFileAndTheOutputHoldsOnlyVectors() throws Exception {
        TestTopics topics = TestTopics.create();
        List<String> texts = new ArrayList<>(sentences(20));
        texts.set(3, "POISON here");
        texts.set(11, "more POISON");
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");
        Path errors = dir.resolve("errors.jsonl");

        CommandRun run = EmbedCommandTest.embed(
                        topics,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        "-i",
                        input.toString(),
                        "-o",
                        output.toString(),
                        "--errors",
                        errors.toString(),
                        "--job-id",
                        "split")
                .run();

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
        List<JsonNode> vectors = readJsonLines(output);
        assertThat(vectors)
                .hasSize(18)
                .allSatisfy(line -> assertThat(line.has("vector")).isTrue());
        assertThat(vectors).extracting(line -> line.get("id").asText()).doesNotContain("split-4", "split-12");
        List<JsonNode> failures = readJsonLines(errors);
        assertThat(failures)
                .extracting(
                        line -> line.get("id").asText(),
                        line -> line.at("/error/code").asText(),
                        line -> line.at("/error/message").asText())
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple("split-4", "INVALID_REQUEST", "the text contains POISON"),
                        org.assertj.core.groups.Tuple.tuple("split-12", "INVALID_REQUEST", "the text contains POISON"));
        assertThat(run.err()).contains("18 ok, 2 failed (INVALID_REQUEST 2)");
        assertThat(JobState.fileFor(output))
                .as("a completed job leaves no state behind")
                .doesNotExist();
    }

    @Test
    void resumeAfterSigkillWritesTheSameFilesAsAnUninterruptedRunAndProducesNoRequestTwice() throws Exception {
        List<String> texts = new ArrayList<>(sentences(2000));
        for (int i = 7; i < texts.size(); i += 97) {
            texts.set(i, "POISON " + i);
        }
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);
        List<String> job = List.of(
                "-i", input.toString(), "--job-id", "killed", "--texts-per-request", "2", "--max-in-flight", "100");

        TestTopics reference = TestTopics.create();
        Path whole = dir.resolve("whole.jsonl");
        Path wholeErrors = dir.resolve("whole.errors.jsonl");
        CommandRun uninterrupted = EmbedCommandTest.embed(
                        reference,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        args(job, "-o", whole.toString(), "--errors", wholeErrors.toString()))
                .run();
        assertThat(uninterrupted.exitCode()).as(uninterrupted.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);

        TestTopics topics = TestTopics.create();
        Path output = dir.resolve("out.jsonl");
        Path errors = dir.resolve("out.errors.jsonl");
        // a random point of the run: once the output holds a random part of what the whole run writes
        long killAtBytes = new Random().nextLong(Files.size(whole) * 9 / 10);
        try (TestResponder responder = topics.respond(TestResponder.Mode.SHUFFLED_WITH_DUPLICATES)) {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m",
                    "-cp",
                    System.getProperty("java.class.path"),
                    Main.class.getName(),
                    "embed"));
            command.addAll(job);
            command.addAll(List.of(
                    "-o", output.toString(), "--errors", errors.toString(), "--no-progress", "--timeout", "60s"));
            command.addAll(topics.connectionArgs());
            Process cli = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(dir.resolve("killed.log").toFile())
                    .start();
            try {
                await().atMost(Duration.ofSeconds(90))
                        .pollInterval(Duration.ofMillis(5))
                        .until(() -> !cli.isAlive() || Files.exists(output) && Files.size(output) >= killAtBytes);
                assertThat(cli.isAlive())
                        .as(
                                "the CLI is still running when it is killed, at %d bytes; its log:%n%s",
                                killAtBytes, Files.readString(dir.resolve("killed.log")))
                        .isTrue();
            } finally {
                cli.destroyForcibly(); // SIGKILL
                cli.waitFor(10, TimeUnit.SECONDS);
            }
            assertThat(cli.exitValue()).isEqualTo(137);

            CommandRun resumed = CommandRun.of(args(
                    List.of(
                            "embed",
                            "-i",
                            input.toString(),
                            "-o",
                            output.toString(),
                            "--resume",
                            "--no-progress",
                            "--timeout",
                            "60s"),
                    topics.connectionArgs()));

            assertThat(resumed.exitCode()).as(resumed.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
            assertThat(resumed.err()).contains("Resuming job killed: ");
        }
        assertThat(Files.readAllBytes(output))
                .as("the output after a kill at %d bytes and --resume", killAtBytes)
                .isEqualTo(Files.readAllBytes(whole));
        assertThat(Files.readAllBytes(errors)).isEqualTo(Files.readAllBytes(wholeErrors));
        List<String> produced =
                topics.requests().stream().map(TextEmbeddingRequest::getId).toList();
        assertThat(produced)
                .as("every request produced exactly once, across the killed run and the resumed one")
                .doesNotHaveDuplicates()
                .hasSize(1000);
        assertThat(JobState.fileFor(output)).doesNotExist();
    }

    @Test
    void resumeWithoutAnEarlierRunSaysThereIsNothingToResume() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.write(dir.resolve("in.txt"), sentences(3), StandardCharsets.UTF_8);
        Path output = dir.resolve("never.jsonl");

        CommandRun run = CommandRun.of(
                List.of("embed", "-i", input.toString(), "-o", output.toString(), "--resume", "--no-progress"),
                topics.connectionArgs());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("--resume: there is no job to resume on " + output);
    }

    private static String[] args(List<String> first, String... more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static List<String> args(List<String> first, List<String> more) {
        List<String> all = new ArrayList<>(first);
        all.addAll(more);
        return all;
    }
}
