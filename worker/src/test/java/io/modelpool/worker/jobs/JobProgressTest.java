package io.modelpool.worker.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A job's progress arithmetic, without Kafka. */
class JobProgressTest {

    private static final long NOW = 1_000_000L;

    private static JobEvent.Registered registered(long expected) {
        return new JobEvent.Registered("j", Capability.TEXT_EMBEDDING, "m", expected, "me@host", 5);
    }

    private static JobEvent.Answered ok(String id, long at) {
        return new JobEvent.Answered("j", id, null, at);
    }

    private static JobEvent.Answered failed(String id, String code, long at) {
        return new JobEvent.Answered("j", id, code, at);
    }

    @Test
    void aRegisteredJobWithoutResultsIsRunningWithItsExpectedCount() {
        JobStatus s = JobProgress.registered(null, registered(3), NOW);

        assertThat(s.getState()).isEqualTo(JobState.RUNNING);
        assertThat(s.getExpectedCount()).isEqualTo(3);
        assertThat(s.getSucceeded() + s.getFailed()).isZero();
        assertThat(s.getUpdatedAt()).isEqualTo(Instant.ofEpochMilli(NOW));
    }

    @Test
    void resultsWithoutARegistrationNeverCompleteTheJob() {
        JobStatus s = JobProgress.answered(null, ok("a", 10), NOW);
        s = JobProgress.answered(s, ok("b", 20), NOW);

        assertThat(s.getExpectedCount()).isEqualTo(-1);
        assertThat(s.getState()).isEqualTo(JobState.RUNNING);
    }

    @Test
    void theJobCompletesWhenSucceededPlusFailedReachesTheExpectedCountAndStaysCompleted() {
        JobStatus s = JobProgress.registered(null, registered(2), NOW);
        s = JobProgress.answered(s, ok("a", 10), NOW);
        s = JobProgress.answered(s, failed("b", "EXPIRED", 20), NOW);

        assertThat(s.getState()).isEqualTo(JobState.COMPLETED);
        assertThat(s.getFailuresByCode()).containsExactly(Map.entry("EXPIRED", 1L));
        assertThat(JobProgress.registered(s, registered(5), NOW).getState()).isEqualTo(JobState.COMPLETED);
        assertThat(JobProgress.stalled(s, NOW + 10_000_000, Duration.ofSeconds(1)))
                .isEmpty();
    }

    @Test
    void throughputIsResultsPerSecondBetweenFirstAndLastResult() {
        JobStatus s = JobProgress.registered(null, registered(100), NOW);
        s = JobProgress.answered(s, ok("a", 1_000), NOW);
        assertThat(s.getResultsPerSecond()).isZero();
        s = JobProgress.answered(s, ok("b", 3_000), NOW);
        s = JobProgress.answered(s, ok("c", 2_000), NOW);
        s = JobProgress.answered(s, ok("d", 2_500), NOW);

        assertThat(s.getResultsPerSecond()).isEqualTo(2.0);
        assertThat(s.getFirstResultAt()).isEqualTo(Instant.ofEpochMilli(1_000));
        assertThat(s.getLastResultAt()).isEqualTo(Instant.ofEpochMilli(3_000));
    }

    @Test
    void aRunningJobIsStalledOnlyOnceTheStallTimeHasPassedSinceItsLastChange() {
        JobStatus s = JobProgress.answered(JobProgress.registered(null, registered(5), NOW), ok("a", 1), NOW);

        assertThat(JobProgress.stalled(s, NOW + 59_999, Duration.ofMinutes(1))).isEmpty();
        JobStatus stalled =
                JobProgress.stalled(s, NOW + 60_000, Duration.ofMinutes(1)).orElseThrow();
        assertThat(stalled.getState()).isEqualTo(JobState.STALLED);
        assertThat(JobProgress.registered(stalled, registered(5), NOW + 70_000).getState())
                .as("a repeated registration is not a result")
                .isEqualTo(JobState.STALLED);
        assertThat(JobProgress.answered(stalled, ok("b", 2), NOW + 70_000).getState())
                .isEqualTo(JobState.RUNNING);
    }

    @Test
    void stateChangesArePublishedAtOnceAndPlainCountsAreNot() {
        JobStatus first = JobProgress.registered(null, registered(5), NOW);
        JobStatus second = JobProgress.answered(first, ok("a", 1), NOW);
        JobStatus third = JobProgress.answered(second, ok("b", 2), NOW);

        assertThat(JobProgress.stateChanged(null, first)).isTrue();
        assertThat(JobProgress.stateChanged(second, third)).isFalse();
    }

    @Test
    void theStallCheckRunsAtLeastEveryQuarterOfTheStallTimeAndAtMostEveryThirtySeconds() {
        Duration status = Duration.ofSeconds(1);
        assertThat(JobProgressProcessor.stallCheckInterval(Duration.ofMinutes(5), status))
                .isEqualTo(Duration.ofSeconds(30));
        assertThat(JobProgressProcessor.stallCheckInterval(Duration.ofSeconds(20), status))
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(JobProgressProcessor.stallCheckInterval(Duration.ofSeconds(2), status))
                .isEqualTo(status);
    }
}
