package io.modelpool.cli.command;

import io.modelpool.cli.CliException;
import io.modelpool.cli.JobStatusFeed;
import io.modelpool.cli.JobStatusTable;
import io.modelpool.v1.JobStatus;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool status [JOB]}: the fleet's jobs and their progress, from the job status topic. */
@Command(
        name = "status",
        sortOptions = false,
        header = "List jobs with their progress.",
        mixinStandardHelpOptions = true,
        description = {
            "Read <prefix>.jobs.status, where the workers' job tracker publishes each job's progress, and",
            "print one line per job, most recently updated first: state (RUNNING, COMPLETED, STALLED,",
            "CANCELLING, CANCELLED, EXPIRED),",
            "results so far of the expected count, succeeded, failed, the fleet's rate and the failures",
            "per error code. Follow one job to its end with 'modelpool wait JOB'.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {
            "0:The jobs were listed.",
            "1:Could not run: Kafka or the schema registry unreachable, no status topic, or JOB unknown."
        },
        footer = {"%nExamples:", "  modelpool status", "  modelpool status job-20260101-120000-abc123"})
public final class StatusCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Parameters(index = "0", arity = "0..1", paramLabel = "JOB", description = "Show only this job.")
    String jobId;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        Map<String, JobStatus> jobs;
        try (JobStatusFeed feed = JobStatusFeed.open(connection.toConnection(), connection.connectTimeout())) {
            jobs = feed.readToEnd();
        }
        List<JobStatus> shown;
        if (jobId != null) {
            JobStatus one = jobs.get(jobId);
            if (one == null) {
                throw new CliException("no job " + jobId + " on the job status topic (is the id right, and does a "
                        + "worker run the job tracker?)");
            }
            shown = List.of(one);
        } else {
            shown = jobs.values().stream()
                    .sorted(Comparator.comparing(JobStatus::getUpdatedAt).reversed())
                    .toList();
        }
        JobStatusTable.lines(shown).forEach(parent.out()::println);
        parent.out().flush();
        return 0;
    }
}
