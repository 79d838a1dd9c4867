package io.modelpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobRegistration;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code modelpool embed} against the devstack's real broker and registry, with a test responder as the worker.
 * Each run passes {@code --timeout 60s}, so that a lost result fails the test instead of waiting ten minutes.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class EmbedCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void writesOneVectorPerInputInInputOrderThoughResultsArriveShuffledTwiceAndForOtherJobs() throws Exception {
        TestTopics topics = TestTopics.create();
        List<String> texts = sentences(400);
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");

        Answered answered = embed(
                topics,
                TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                "--input",
                input.toString(),
                "--output",
                output.toString(),
                "--job-id",
                "shuffled");
        CommandRun run = answered.run();

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<JsonNode> lines = readJsonLines(output);
        assertThat(lines).hasSize(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            assertThat(lines.get(i).get("id").asText()).isEqualTo("shuffled-" + (i + 1));
            assertThat(floats(lines.get(i).get("vector"))).isEqualTo(TestResponder.vectorOf(texts.get(i)));
        }
        assertThat(answered.duplicatesSent())
                .as("the responder did send duplicates")
                .isPositive();
        assertThat(run.err())
                .contains("Job shuffled: 400 inputs in 400 requests, 400 ok, 0 failed")
                .contains("inputs/s")
                .contains("Wrote 400 lines to " + output);
    }

    @Test
    void writesEachFailedInputsErrorInItsPlaceAndExitsWithTwo() throws Exception {
        TestTopics topics = TestTopics.create();
        List<String> texts = new ArrayList<>(sentences(30));
        texts.set(4, "this one is POISON");
        texts.set(17, "POISON again");
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");

        CommandRun run = embed(
                        topics,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        "-i",
                        input.toString(),
                        "-o",
                        output.toString(),
                        "--job-id",
                        "poisoned")
                .run();

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
        List<JsonNode> lines = readJsonLines(output);
        assertThat(lines).hasSize(30);
        for (int i = 0; i < 30; i++) {
            JsonNode line = lines.get(i);
            assertThat(line.get("id").asText()).isEqualTo("poisoned-" + (i + 1));
            if (i == 4 || i == 17) {
                assertThat(line.has("vector")).isFalse();
                assertThat(line.at("/error/code").asText()).isEqualTo("INVALID_REQUEST");
                assertThat(line.at("/error/message").asText()).isEqualTo("the text contains POISON");
            } else {
                assertThat(line.has("error")).isFalse();
                assertThat(floats(line.get("vector"))).isEqualTo(TestResponder.vectorOf(texts.get(i)));
            }
        }
        assertThat(run.err()).contains("28 ok, 2 failed (INVALID_REQUEST 2)");
    }

    @Test
    void neverHasMoreRequestsOutstandingThanMaxInFlight() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.write(dir.resolve("in.txt"), sentences(240), StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");

        Answered answered = embed(
                topics,
                TestResponder.Mode.HOLD_UNTIL_QUIET,
                "-i",
                input.toString(),
                "-o",
                output.toString(),
                "--job-id",
                "windowed",
                "--max-in-flight",
                "30");
        CommandRun run = answered.run();

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(answered.maxOutstanding())
                .as("requests the worker held unanswered at once")
                .isLessThanOrEqualTo(30)
                .isGreaterThan(1);
        assertThat(readJsonLines(output))
                .extracting(l -> l.get("id").asText())
                .containsExactlyElementsOf(IntStream.rangeClosed(1, 240)
                        .mapToObj(i -> "windowed-" + i)
                        .toList());
    }

    @Test
    void registersTheJobWithItsRequestCountAndSplitsMultiTextRequestsBackIntoLines() throws Exception {
        TestTopics topics = TestTopics.create();
        List<String> texts = sentences(10);
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");

        CommandRun run = embed(
                        topics,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        "-i",
                        input.toString(),
                        "-o",
                        output.toString(),
                        "--job-id",
                        "grouped",
                        "--texts-per-request",
                        "3",
                        "--model",
                        "bge-small-en-v15-q")
                .run();

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<JobRegistration> registrations = topics.registrations();
        assertThat(registrations).hasSize(1);
        JobRegistration registration = registrations.get(0);
        assertThat(registration.getJobId()).isEqualTo("grouped");
        assertThat(registration.getCapability()).isEqualTo(Capability.TEXT_EMBEDDING);
        assertThat(registration.getModel()).isEqualTo("bge-small-en-v15-q");
        assertThat(registration.getExpectedCount())
                .as("10 inputs, 3 per request")
                .isEqualTo(4);
        assertThat(registration.getSubmitter()).contains("@");
        assertThat(topics.requests())
                .extracting(r -> r.getId())
                .containsExactlyInAnyOrder("grouped-1-3", "grouped-4-6", "grouped-7-9", "grouped-10-10");

        List<JsonNode> lines = readJsonLines(output);
        assertThat(lines).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(lines.get(i).get("id").asText()).isEqualTo("grouped-" + (i + 1));
            assertThat(floats(lines.get(i).get("vector"))).isEqualTo(TestResponder.vectorOf(texts.get(i)));
        }
    }

    @Test
    void readsIdsAndTextsFromJsonlAndCsv() throws Exception {
        TestTopics topics = TestTopics.create();
        Path jsonl = Files.writeString(dir.resolve("docs.jsonl"), """
                {"doc": "d-1", "body": "The first document."}
                {"doc": "d-2", "body": "The second, with a comma."}
                """);
        Path csv = Files.writeString(dir.resolve("table.csv"), """
                id,text,lang
                row-a,"Quoted, with a comma",en
                row-b,"Two
                lines",en
                """);
        Path jsonlOut = dir.resolve("docs.out.jsonl");
        Path csvOut = dir.resolve("table.out.jsonl");

        CommandRun fromJsonl = embed(
                        topics,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        "-i",
                        jsonl.toString(),
                        "-o",
                        jsonlOut.toString(),
                        "--id-field",
                        "doc",
                        "--text-field",
                        "body")
                .run();
        CommandRun fromCsv = embed(
                        topics,
                        TestResponder.Mode.SHUFFLED_WITH_DUPLICATES,
                        "-i",
                        csv.toString(),
                        "-o",
                        csvOut.toString(),
                        "--column",
                        "text")
                .run();

        assertThat(fromJsonl.exitCode()).as(fromJsonl.err()).isZero();
        assertThat(readJsonLines(jsonlOut))
                .extracting(l -> l.get("id").asText(), l -> floats(l.get("vector")))
                .containsExactly(
                        tuple("d-1", TestResponder.vectorOf("The first document.")),
                        tuple("d-2", TestResponder.vectorOf("The second, with a comma.")));
        assertThat(fromCsv.exitCode()).as(fromCsv.err()).isZero();
        assertThat(readJsonLines(csvOut))
                .extracting(l -> l.get("id").asText(), l -> floats(l.get("vector")))
                .containsExactly(
                        tuple("row-a", TestResponder.vectorOf("Quoted, with a comma")),
                        tuple("row-b", TestResponder.vectorOf("Two\nlines")));
    }

    @Test
    void timesOutWithExitOneAndSaysHowManyInputsHaveNoResult() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.write(dir.resolve("in.txt"), sentences(5), StandardCharsets.UTF_8);
        Path output = dir.resolve("out.jsonl");

        CommandRun run = CommandRun.of(
                List.of(
                        "embed",
                        "-i",
                        input.toString(),
                        "-o",
                        output.toString(),
                        "--job-id",
                        "unanswered",
                        "--timeout",
                        "2s",
                        "--no-progress"),
                topics.connectionArgs());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("Timed out: 5 of 5 inputs have no result.");
        assertThat(Files.readAllLines(output)).isEmpty();
        assertThat(topics.requests()).as("the requests were produced").hasSize(5);
    }

    /** A run of {@code modelpool embed} while a test responder answers, and what the responder saw. */
    record Answered(CommandRun run, int duplicatesSent, int maxOutstanding) {}

    /** Runs {@code modelpool embed ARGS --no-progress --timeout 60s} on these topics while a responder answers. */
    static Answered embed(TestTopics topics, TestResponder.Mode mode, String... args) {
        List<String> command = new ArrayList<>(List.of("embed"));
        command.addAll(List.of(args));
        command.addAll(List.of("--no-progress", "--timeout", "60s"));
        command.addAll(topics.connectionArgs());
        try (TestResponder responder = topics.respond(mode)) {
            CommandRun run = CommandRun.of(command);
            return new Answered(run, responder.duplicatesSent(), responder.maxOutstanding());
        }
    }

    static List<String> sentences(int n) {
        List<String> texts = new ArrayList<>(n);
        String[] subjects = {"The harbour", "A small bakery", "Our team", "The night train", "My neighbour's dog"};
        String[] verbs = {"opens early", "closed for repairs", "won a prize", "runs late again", "barks at the postman"
        };
        for (int i = 0; i < n; i++) {
            texts.add(subjects[i % subjects.length] + " " + verbs[(i / 5) % verbs.length] + " on day " + i + ".");
        }
        return texts;
    }

    static List<JsonNode> readJsonLines(Path file) throws IOException {
        List<JsonNode> nodes = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            nodes.add(JSON.readTree(line));
        }
        return nodes;
    }

    static List<Float> floats(JsonNode array) {
        List<Float> values = new ArrayList<>();
        array.forEach(v -> values.add(v.floatValue()));
        return values;
    }
}
