package io.modelpool.cli.command;

import io.modelpool.cli.JobSpec;
import io.modelpool.cli.SubmitJob;
import io.modelpool.cli.SubmitSummary;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool submit}: produce a file's requests and return without waiting for results. */
@Command(
        name = "submit",
        sortOptions = false,
        header = "Submit a file as a job without waiting for its results.",
        mixinStandardHelpOptions = true,
        description = {
            "Register a job and produce one request per input (or per --texts-per-request",
            "inputs) without waiting for results. Prints the job id on stdout; follow the",
            "results with 'modelpool results --job-id ID'.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {
            "0:Every request was acknowledged by Kafka.",
            CommandHelp.EXIT_COULD_NOT_RUN,
            "2:Kafka rejected some requests (too large); they are listed on stderr."
        },
        footer = {
            "%nExample:",
            "  JOB=$(modelpool submit -i corpus.txt --no-progress)",
            "  modelpool results --job-id \"$JOB\" --from-beginning > vectors.jsonl"
        })
public final class SubmitCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Mixin
    JobOptions job;

    @Option(
            names = "--no-progress",
            description = "Do not draw the progress bar (it is off anyway when stderr is not a terminal).")
    boolean noProgress;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        JobSpec spec = job.toSpec(connection.toConnection(), connection.connectTimeout());
        SubmitSummary summary = new SubmitJob(spec, parent.err(), !noProgress).run();
        parent.err().print(summary.describe());
        parent.out().println(summary.jobId());
        parent.out().flush();
        return summary.exitCode();
    }
}
