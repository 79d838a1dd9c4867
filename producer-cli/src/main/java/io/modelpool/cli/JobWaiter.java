package io.modelpool.cli;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * {@code modelpool wait}: follows one job on the status topic until it ends (COMPLETED, CANCELLED, EXPIRED),
 * drawing a progress bar with the fleet's rate and the ETA at that rate.
 *
 * <p>Runs on the calling thread; {@link #stop} may be called from any thread (a signal handler) and ends the wait
 * within one poll. Every wait is bounded: the job must appear within {@code unknownJobTimeout}, and the whole wait
 * ends after {@code timeout} when one is given.
 */
public final class JobWaiter {

    /**
     * @param unknownJobTimeout how long to wait for the job's first status before giving up
     * @param timeout how long to wait for completion; null to wait as long as it takes
     * @param progress whether to draw the bar
     */
    public record Options(
            KafkaConnection connection,
            String jobId,
            Duration connectTimeout,
            Duration unknownJobTimeout,
            Duration timeout,
            boolean progress) {
        public Options {
            Objects.requireNonNull(connection, "connection");
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(connectTimeout, "connectTimeout");
            Objects.requireNonNull(unknownJobTimeout, "unknownJobTimeout");
        }
    }

    /** How the wait ended. */
    public sealed interface Outcome {
        /** The job ended (COMPLETED, CANCELLED or EXPIRED); {@code status} is its final state. */
        record Completed(JobStatus status) implements Outcome {}

        /** The wait ended before completion: unknown job, timeout or interruption. */
        record GaveUp(String reason, JobStatus lastSeen) implements Outcome {}
    }

    private static final Duration POLL = Duration.ofMillis(250);

    private final Options options;
    private final PrintStream terminal;
    private final AtomicBoolean stopped = new AtomicBoolean();

    public JobWaiter(Options options, PrintStream terminal) {
        this.options = options;
        this.terminal = terminal;
    }

    public void stop() {
        stopped.set(true);
    }

    public Outcome run() {
        long started = System.nanoTime();
        try (JobStatusFeed feed = JobStatusFeed.open(options.connection(), options.connectTimeout())) {
            JobStatus status = feed.readToEnd().get(options.jobId());
            Bar bar = null;
            try {
                while (true) {
                    if (status != null) {
                        bar = bar == null ? startBar(status) : bar;
                        bar.show(status);
                        if (CancelJob.ended(status.getState())) {
                            return new Outcome.Completed(status);
                        }
                    }
                    Duration waited = Duration.ofNanos(System.nanoTime() - started);
                    if (status == null && waited.compareTo(options.unknownJobTimeout()) >= 0) {
                        return new Outcome.GaveUp(
                                "no job " + options.jobId() + " on "
                                        + Topics.jobStatus(options.connection().topicPrefix())
                                        + " after "
                                        + options.unknownJobTimeout().toSeconds()
                                        + "s (is the id right, and does a worker run the job tracker?)",
                                null);
                    }
                    if (options.timeout() != null && waited.compareTo(options.timeout()) >= 0) {
                        return new Outcome.GaveUp(
                                "job " + options.jobId() + " not complete after "
                                        + options.timeout().toSeconds() + "s",
                                status);
                    }
                    if (stopped.get()) {
                        return new Outcome.GaveUp("interrupted", status);
                    }
                    JobStatus next = feed.poll(POLL).get(options.jobId());
                    status = next == null ? status : next;
                }
            } finally {
                if (bar != null) {
                    bar.close();
                }
            }
        }
    }

    /** A one-line account of the finished job, counts per error code included. */
    public static String summary(JobStatus s) {
        String expected = s.getExpectedCount() < 0 ? "?" : Long.toString(s.getExpectedCount());
        String line = String.format(
                Locale.ROOT,
                "job %s %s: %d of %s succeeded, %d failed",
                s.getJobId(),
                s.getState(),
                s.getSucceeded(),
                expected,
                s.getFailed());
        return s.getFailed() == 0 ? line : line + " (" + JobStatusTable.failures(s) + ")";
    }

    private Bar startBar(JobStatus first) {
        return options.progress() ? new DrawnBar(first) : status -> {};
    }

    /** The display of the job's progress. */
    private interface Bar extends AutoCloseable {
        void show(JobStatus status);

        @Override
        default void close() {}
    }

    private final class DrawnBar implements Bar {
        private final ProgressBar bar;

        DrawnBar(JobStatus first) {
            Instant since = first.getFirstResultAt() == null ? Instant.now() : first.getFirstResultAt();
            Duration elapsed = Duration.between(since, Instant.now());
            this.bar = new ProgressBarBuilder()
                    .setTaskName(options.jobId())
                    .setInitialMax(Math.max(0, first.getExpectedCount()))
                    .startsFrom(JobStatusTable.done(first), elapsed.isNegative() ? Duration.ZERO : elapsed)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .showSpeed()
                    .setSpeedUnit(ChronoUnit.SECONDS)
                    .setUnit(" results", 1)
                    .setConsumer(new ConsoleProgressBarConsumer(terminal))
                    .build();
        }

        @Override
        public void show(JobStatus status) {
            if (status.getExpectedCount() >= 0 && bar.getMax() != status.getExpectedCount()) {
                bar.maxHint(status.getExpectedCount());
            }
            bar.stepTo(JobStatusTable.done(status));
            Duration eta = JobStatusTable.eta(status);
            String rate = String.format(Locale.ROOT, "fleet %.1f/s", status.getResultsPerSecond());
            String left = eta == null ? "ETA ?" : "ETA " + formatted(eta);
            String state = status.getState() == JobState.STALLED || status.getState() == JobState.CANCELLING
                    ? " " + status.getState()
                    : "";
            String failed = status.getFailed() == 0 ? "" : ", " + status.getFailed() + " failed";
            bar.setExtraMessage(rate + ", " + left + failed + state);
        }

        @Override
        public void close() {
            bar.close();
        }
    }

    static String formatted(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
    }
}
