package io.modelpool.cli.command;

import io.modelpool.cli.ExitCodes;
import io.modelpool.cli.JobWaiter;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool wait JOB}: a progress bar until the job completes; the exit code says how it went. */
@Command(
        name = "wait",
        sortOptions = false,
        header = "Wait for a job to complete, with a progress bar.",
        mixinStandardHelpOptions = true,
        description = {
            "Follow JOB on <prefix>.jobs.status and draw a progress bar with the fleet's rate and the ETA",
            "until every expected result is in. Then print a summary, with failures per error code.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {
            "0:The job completed and every request succeeded.",
            "1:Could not wait: Kafka unreachable, JOB unknown after --unknown-job-timeout, --timeout passed, "
                    + "or interrupted.",
            "2:The job completed with failures; the summary counts them per error code."
        },
        footer = {"%nExample:", "  JOB=$(modelpool submit -i corpus.txt --no-progress) && modelpool wait \"$JOB\""})
public final class WaitCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Parameters(index = "0", paramLabel = "JOB", description = "The job id, as submit or embed printed it.")
    String jobId;

    @Option(
            names = "--unknown-job-timeout",
            paramLabel = "DURATION",
            defaultValue = "60s",
            converter = DurationConverter.class,
            description = "Give up when the job has no status for this long (default: ${DEFAULT-VALUE}).")
    Duration unknownJobTimeout;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Give up when the job has not completed after this long (default: wait until it does).")
    Duration timeout;

    @Option(names = "--no-progress", description = "Do not draw the progress bar.")
    boolean noProgress;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        JobWaiter waiter = new JobWaiter(
                new JobWaiter.Options(
                        connection.toConnection(),
                        jobId,
                        connection.connectTimeout(),
                        unknownJobTimeout,
                        timeout,
                        !noProgress),
                parent.err());
        JobWaiter.Outcome outcome;
        StopOnSignal signals = new StopOnSignal(waiter::stop);
        try {
            outcome = waiter.run();
        } finally {
            signals.close();
        }
        if (outcome instanceof JobWaiter.Outcome.Completed done) {
            parent.err().println(JobWaiter.summary(done.status()));
            parent.err().flush();
            return done.status().getFailed() == 0 ? ExitCodes.OK : ExitCodes.SOME_INPUTS_FAILED;
        }
        JobWaiter.Outcome.GaveUp gaveUp = (JobWaiter.Outcome.GaveUp) outcome;
        parent.err()
                .println("modelpool wait: " + gaveUp.reason()
                        + (gaveUp.lastSeen() == null ? "" : "; last seen: " + JobWaiter.summary(gaveUp.lastSeen())));
        parent.err().flush();
        return ExitCodes.COULD_NOT_RUN;
    }
}
