package io.modelpool.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.TextEmbeddingRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code modelpool submit} and {@code modelpool results} against the devstack. */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SubmitAndResultsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void submitRegistersTheJobProducesEveryRequestAndPrintsTheJobId() throws Exception {
        TestTopics topics = TestTopics.create();
        List<String> texts = EmbedCommandTest.sentences(25);
        Path input = Files.write(dir.resolve("in.txt"), texts, StandardCharsets.UTF_8);

        CommandRun run = CommandRun.of(
                List.of("submit", "-i", input.toString(), "--input-type", "query", "--no-progress"),
                topics.connectionArgs());

        assertThat(run.exitCode()).as(run.err()).isZero();
        String jobId = run.out().strip();
        assertThat(jobId).matches("job-\\d{8}-\\d{6}-[0-9a-f]{6}");
        assertThat(run.err()).contains("Submitted job " + jobId + ": 25 inputs in 25 requests");
        assertThat(topics.registrations()).singleElement().satisfies(r -> {
            assertThat(r.getJobId()).isEqualTo(jobId);
            assertThat(r.getExpectedCount()).isEqualTo(25);
        });
        List<TextEmbeddingRequest> requests = topics.requests();
        assertThat(requests).hasSize(25).allSatisfy(r -> {
            assertThat(r.getJobId()).isEqualTo(jobId);
            assertThat(r.getModel()).isEqualTo(JobSpec.DEFAULT_MODEL);
            assertThat(r.getInputType().name()).isEqualTo("QUERY");
        });
        assertThat(requests).extracting(r -> r.getTexts().get(0)).containsExactlyInAnyOrderElementsOf(texts);
    }

    @Test
    void submitProducesToTheBulkRequestTopicAndLeavesTheInteractiveOneToSingleRequests() throws Exception {
        TestTopics topics = TestTopics.create();
        Path input = Files.write(dir.resolve("in.txt"), EmbedCommandTest.sentences(7), StandardCharsets.UTF_8);

        CommandRun run =
                CommandRun.of(List.of("submit", "-i", input.toString(), "--no-progress"), topics.connectionArgs());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).doesNotContain("does not exist");
        assertThat(topics.requests()).hasSize(7);
        assertThat(topics.interactiveRequests()).isEmpty();
    }

    @Test
    void onAFleetWithoutTheBulkTopicAJobGoesToTheRequestTopicWithANote() throws Exception {
        TestTopics topics = TestTopics.createWithoutBulkTopic();
        Path input = Files.write(dir.resolve("in.txt"), EmbedCommandTest.sentences(5), StandardCharsets.UTF_8);

        CommandRun run =
                CommandRun.of(List.of("submit", "-i", input.toString(), "--no-progress"), topics.connectionArgs());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err())
                .contains(
                        "Note: topic " + topics.prefix + ".text-embedding.requests.bulk does not exist",
                        "goes to " + topics.prefix + ".text-embedding.requests,");
        assertThat(topics.interactiveRequests()).hasSize(5);
    }

    @Test
    void resultsPrintsOneJobsResultsAsJsonLinesAndStopsAtMax() throws Exception {
        TestTopics topics = TestTopics.create();
        Path mine = Files.write(
                dir.resolve("mine.txt"),
                List.of("first text", "second POISON text", "third text"),
                StandardCharsets.UTF_8);
        Path theirs = Files.write(dir.resolve("theirs.txt"), List.of("not mine"), StandardCharsets.UTF_8);

        CommandRun other = CommandRun.of(
                List.of("submit", "-i", theirs.toString(), "--job-id", "theirs", "--no-progress"),
                topics.connectionArgs());
        CommandRun submitted = CommandRun.of(
                List.of("submit", "-i", mine.toString(), "--job-id", "mine", "--no-progress"), topics.connectionArgs());
        assertThat(List.of(other.exitCode(), submitted.exitCode())).containsOnly(ExitCodes.OK);
        CommandRun results;
        try (TestResponder responder = topics.respond(TestResponder.Mode.SHUFFLED_WITH_DUPLICATES)) {
            results = CommandRun.of(
                    List.of("results", "--job-id", "mine", "--from-beginning", "--max", "3"), topics.connectionArgs());
            assertThat(responder.received())
                    .as("both jobs' requests reached the worker")
                    .isEqualTo(4);
        }

        assertThat(results.exitCode()).as(results.err()).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : results.out().strip().split("\n")) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines)
                .hasSize(3)
                .allSatisfy(l -> assertThat(l.get("jobId").asText()).isEqualTo("mine"));
        assertThat(lines)
                .extracting(l -> l.get("id").asText())
                .as("a duplicate may replace a line, but only this job's ids appear")
                .isSubsetOf("mine-1", "mine-2", "mine-3");
        lines.stream()
                .filter(l -> l.get("id").asText().equals("mine-2"))
                .forEach(l -> assertThat(l.at("/error/code").asText()).isEqualTo("INVALID_REQUEST"));
        lines.stream()
                .filter(l -> l.get("id").asText().equals("mine-1"))
                .forEach(l -> assertThat(EmbedCommandTest.floats(l.get("vector")))
                        .isEqualTo(TestResponder.vectorOf("first text")));
    }

    @Test
    void resultsEndsAfterTheIdleTimeoutWhenNothingArrives() {
        TestTopics topics = TestTopics.create();

        CommandRun run = CommandRun.of(List.of("results", "--idle-timeout", "1s"), topics.connectionArgs());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEmpty();
    }
}
