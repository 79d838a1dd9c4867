package io.modelpool.cli;

import static io.modelpool.cli.StatusTopic.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.JobState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code modelpool status} and {@code modelpool wait} against a job status topic on the devstack broker. */
class JobStatusCommandsTest {

    private final StatusTopic topic = StatusTopic.create();

    @AfterEach
    void close() {
        topic.close();
    }

    @Test
    void statusListsEveryJobWithItsLatestProgress() {
        topic.publish(status("job-a", JobState.RUNNING, 100, 10, Map.of()));
        topic.publish(status("job-b", JobState.COMPLETED, 4, 3, Map.of("EMPTY_INPUT", 1L)));
        topic.publish(status("job-a", JobState.RUNNING, 100, 40, Map.of()));

        CommandRun run = CommandRun.of(topic.args("status"));

        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).contains("JOB", "STATE", "DONE/EXPECTED", "FAILURES");
        assertThat(run.out()).containsPattern("job-a\\s+RUNNING\\s+40/100\\s+40.0%");
        assertThat(run.out()).containsPattern("job-b\\s+COMPLETED\\s+4/4\\s+100.0%\\s+3\\s+1 .*EMPTY_INPUT=1");
    }

    @Test
    void statusOfOneJobShowsOnlyThatJob() {
        topic.publish(status("job-a", JobState.RUNNING, 100, 10, Map.of()));
        topic.publish(status("job-b", JobState.STALLED, 100, 50, Map.of()));

        CommandRun run = CommandRun.of(topic.args("status", "job-b"));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("job-b").contains("STALLED").doesNotContain("job-a");
    }

    @Test
    void statusOfAnUnknownJobExitsOne() {
        topic.publish(status("job-a", JobState.RUNNING, 100, 10, Map.of()));

        CommandRun run = CommandRun.of(topic.args("status", "nope"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("no job nope");
    }

    @Test
    void waitFollowsTheJobUntilItCompletesAndExitsZeroWhenAllSucceeded() {
        topic.publish(status("job-w", JobState.RUNNING, 50, 20, Map.of()));

        CompletableFuture<CommandRun> waiting =
                CompletableFuture.supplyAsync(() -> CommandRun.of(topic.args("wait", "job-w", "--timeout", "60s")));
        topic.publish(status("job-w", JobState.RUNNING, 50, 35, Map.of()));
        topic.publish(status("job-w", JobState.COMPLETED, 50, 50, Map.of()));

        CommandRun run = await().atMost(Duration.ofSeconds(60)).until(() -> waiting.getNow(null), r -> r != null);
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.OK);
        assertThat(run.err()).contains("job job-w COMPLETED: 50 of 50 succeeded, 0 failed");
        assertThat(run.err())
                .as("progress bar with rate and ETA")
                .contains("job-w")
                .contains("results/s")
                .contains("ETA");
    }

    @Test
    void waitExitsTwoWithAFailureSummaryPerErrorCode() {
        topic.publish(status("job-f", JobState.COMPLETED, 10, 6, Map.of("EMPTY_INPUT", 3L, "INPUT_TOO_LARGE", 1L)));

        CommandRun run = CommandRun.of(topic.args("wait", "job-f", "--no-progress"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.SOME_INPUTS_FAILED);
        assertThat(run.err()).contains("6 of 10 succeeded, 4 failed (EMPTY_INPUT=3, INPUT_TOO_LARGE=1)");
    }

    @Test
    void waitForAJobThatNeverAppearsExitsOneAfterTheUnknownJobTimeout() {
        CommandRun run = CommandRun.of(topic.args("wait", "ghost", "--unknown-job-timeout", "1s"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("no job ghost");
    }

    @Test
    void waitWithoutAReachableBrokerExitsOne() {
        CommandRun run = CommandRun.of(List.of(
                "wait",
                "job",
                "--bootstrap-servers",
                "localhost:1",
                "--schema-registry",
                "http://localhost:1",
                "--connect-timeout",
                "2s"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("localhost:1");
    }

    @Test
    void statusWhenNoTrackerEverCreatedTheTopicExitsOneAndSaysSo() {
        CommandRun run = CommandRun.of(List.of(
                "status",
                "--bootstrap-servers",
                io.modelpool.devstack.SharedDevStack.get().bootstrapServers(),
                "--schema-registry",
                io.modelpool.devstack.SharedDevStack.get().schemaRegistryUrl(),
                "--topic-prefix",
                "absent-prefix",
                "--connect-timeout",
                "5s"));

        assertThat(run.exitCode()).isEqualTo(ExitCodes.COULD_NOT_RUN);
        assertThat(run.err()).contains("absent-prefix.jobs.status does not exist");
    }
}
