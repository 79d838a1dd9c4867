package io.modelpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What the command says and returns when it cannot run. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class CommandLineTest {
    @TempDir
    Path dir;

    @Test
    void helpListsTheCommandsOptionsAndExitCodes() {
        CommandRun top = CommandRun.of(List.of("--help"));
        CommandRun embed = CommandRun.of(List.of("embed", "--help"));
        CommandRun cancel = CommandRun.of(List.of("cancel", "--help"));

        assertThat(top.exitCode()).isZero();
        assertThat(top.out()).contains("embed", "submit", "results", "cancel", "Exit codes:");
        assertThat(embed.exitCode()).isZero();
        assertThat(embed.out())
                .contains(
                        "--input",
                        "--output",
                        "--format",
                        "--id-field",
                        "--text-field",
                        "--column",
                        "--texts-per-request",
                        "--max-in-flight",
                        "--timeout",
                        "--no-progress",
                        "--bootstrap-servers",
                        "MODELPOOL_BOOTSTRAP_SERVERS",
                        "--schema-registry",
                        "MODELPOOL_SCHEMA_REGISTRY_URL",
                        "--topic-prefix",
                        "--client-config",
                        "--model",
                        "all-minilm-l6-v2-q",
                        "--job-id",
                        "--completion-window")
                .contains("Exit codes:", "0   All inputs succeeded.", "2   Some inputs failed");
        assertThat(cancel.exitCode()).isZero();
        assertThat(cancel.out()).contains("JOB", "CANCELLED", "3   No such job", "4   The job has already ended");
    }

    @Test
    void anUnknownOptionExitsWithOneAndSuggestsTheNearestOption() {
        CommandRun run = CommandRun.of(List.of("embed", "--inptu", "x.txt", "--output", "y.jsonl"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err())
                .contains("Unknown options: '--inptu'")
                .contains("Possible solutions: --input")
                .contains("--help");
    }

    @Test
    void aMissingRequiredOptionOrNoCommandExitsWithOne() {
        CommandRun noOutput = CommandRun.of(List.of("embed", "--input", "x.txt"));
        CommandRun noCommand = CommandRun.of(List.of());

        assertThat(noOutput.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(noOutput.err()).contains("Missing required option: '--output=FILE'");
        assertThat(noCommand.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(noCommand.err()).contains("Name a command: embed, submit or results");
    }

    @Test
    void badValuesExitWithOneNamingTheOptionAndTheValue() throws Exception {
        Path input = Files.writeString(dir.resolve("in.txt"), "hello\n");
        Path output = dir.resolve("out.jsonl");

        CommandRun missingFile =
                CommandRun.of(List.of("embed", "-i", dir.resolve("nope.txt").toString(), "-o", output.toString()));
        CommandRun tooMany = CommandRun.of(
                List.of("embed", "-i", input.toString(), "-o", output.toString(), "--texts-per-request", "0"));
        CommandRun badWindow = CommandRun.of(
                List.of("embed", "-i", input.toString(), "-o", output.toString(), "--max-in-flight", "-5"));
        CommandRun badFormat =
                CommandRun.of(List.of("embed", "-i", input.toString(), "-o", output.toString(), "--format", "xml"));
        CommandRun badTimeout =
                CommandRun.of(List.of("embed", "-i", input.toString(), "-o", output.toString(), "--timeout", "soon"));
        CommandRun sameFile = CommandRun.of(List.of("embed", "-i", input.toString(), "-o", input.toString()));

        assertThat(List.of(missingFile, tooMany, badWindow, badFormat, badTimeout, sameFile))
                .extracting(CommandRun::exitCode)
                .containsOnly(ExitCodes.COULD_NOT_RUN);
        assertThat(missingFile.err()).contains("--input").contains("nope.txt does not exist");
        assertThat(tooMany.err()).contains("--texts-per-request must be between 1 and 256, was 0");
        assertThat(badWindow.err()).contains("--max-in-flight must be between 1 and 1000000, was -5");
        assertThat(badFormat.err()).contains("--format").contains("xml").contains("LINES, JSONL, CSV");
        assertThat(badTimeout.err()).contains("'soon' is not a duration");
        assertThat(sameFile.err()).contains("is the input file");
    }

    @Test
    void aMalformedInputStopsTheJobBeforeAnythingIsProducedAndNamesTheLine() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.writeString(dir.resolve("in.jsonl"), "{\"text\": \"fine\"}\n{\"txt\": \"typo\"}\n");

        CommandRun run = CommandRun.of(
                List.of(
                        "embed",
                        "-i",
                        input.toString(),
                        "-o",
                        dir.resolve("out.jsonl").toString()),
                topics.connectionArgs());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("in.jsonl line 2: no string field 'text'");
        assertThat(topics.registrations()).isEmpty();
        assertThat(topics.requests()).isEmpty();
    }

    @Test
    void anUnreachableBrokerExitsWithOneNamingTheBroker() throws Exception {
        Path input = Files.writeString(dir.resolve("in.txt"), "hello\n");

        CommandRun run = CommandRun.of(List.of(
                "embed",
                "-i",
                input.toString(),
                "-o",
                dir.resolve("out.jsonl").toString(),
                "--bootstrap-servers",
                "127.0.0.1:1",
                "--connect-timeout",
                "2s"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("could not reach Kafka at 127.0.0.1:1 within 2s");
    }

    @Test
    void aMissingTopicExitsWithOneNamingTheTopic() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.writeString(dir.resolve("in.txt"), "hello\n");

        CommandRun run = CommandRun.of(List.of(
                "embed",
                "-i",
                input.toString(),
                "-o",
                dir.resolve("out.jsonl").toString(),
                "--bootstrap-servers",
                topics.stack.bootstrapServers(),
                "--schema-registry",
                topics.stack.schemaRegistryUrl(),
                "--topic-prefix",
                topics.prefix + "-nothing-here"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err())
                .contains("topic " + topics.prefix + "-nothing-here.text-embedding.requests does not exist");
    }
}
