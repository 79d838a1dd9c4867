package io.modelpool.cli.command;

import io.modelpool.cli.CancelJob;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool cancel JOB}: stop a job fleet-wide. */
@Command(
        name = "cancel",
        sortOptions = false,
        header = "Cancel a job.",
        mixinStandardHelpOptions = true,
        description = {
            "Write a cancel for JOB to <prefix>.jobs.control, which every worker reads. Requests of the",
            "job that have not started computing are answered CANCELLED without inference; those",
            "already computing finish normally. 'modelpool status JOB' shows CANCELLING, then CANCELLED,",
            "with the counts per outcome.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {
            "0:The cancel was written (or the job was already being cancelled).",
            "1:Could not run: Kafka or the schema registry unreachable, or a missing topic.",
            "3:No such job on the job status topic; nothing was written.",
            "4:The job has already ended (COMPLETED, CANCELLED or EXPIRED); nothing was written."
        },
        footer = {"%nExample:", "  modelpool cancel job-20260101-120000-abc123"})
public final class CancelCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Parameters(index = "0", paramLabel = "JOB", description = "The job to cancel.")
    String jobId;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        CancelJob.Outcome outcome = new CancelJob(connection.toConnection(), jobId, connection.connectTimeout()).run();
        parent.err().println(outcome.exitCode() == 0 ? outcome.message() : "modelpool cancel: " + outcome.message());
        parent.err().flush();
        return outcome.exitCode();
    }
}
