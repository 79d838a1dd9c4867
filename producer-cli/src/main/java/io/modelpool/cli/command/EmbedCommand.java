package io.modelpool.cli.command;

import io.modelpool.cli.CliException;
import io.modelpool.cli.EmbedJob;
import io.modelpool.cli.EmbedSummary;
import io.modelpool.cli.JobSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool embed}: embed a file through Kafka and write the vectors in input order. */
@Command(
        name = "embed",
        sortOptions = false,
        header = "Embed a file through Kafka and write the vectors in input order.",
        mixinStandardHelpOptions = true,
        description = {
            "Embed every input of a file through Kafka and write one JSON line per input,",
            "in input order: {\"id\":...,\"vector\":[...]}, or for a failed input",
            "{\"id\":...,\"error\":{\"code\":...,\"message\":...}}. The job is registered on",
            "PREFIX.jobs, requests go to PREFIX.text-embedding.requests, results are read",
            "from PREFIX.text-embedding.results. A summary goes to stderr.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {CommandHelp.EXIT_OK, CommandHelp.EXIT_COULD_NOT_RUN, CommandHelp.EXIT_SOME_FAILED},
        footer = {
            "%nExamples:",
            "  modelpool embed -i sentences.txt -o vectors.jsonl",
            "  modelpool embed -i sentences.txt -o vectors.jsonl --errors failed.jsonl",
            "  modelpool embed -i sentences.txt -o vectors.jsonl --resume    (after the run was killed)",
            "  modelpool embed -i docs.jsonl --id-field doc_id --text-field body -o out.jsonl",
            "  modelpool embed -i table.csv --column text -o out.jsonl \\",
            "      --bootstrap-servers kafka:9092 --schema-registry http://registry:8081"
        })
public final class EmbedCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Mixin
    JobOptions job;

    @Option(
            names = {"-o", "--output"},
            paramLabel = "FILE",
            required = true,
            description = "JSON Lines file to write (replaced if it exists, continued with --resume).")
    Path output;

    @Option(
            names = "--errors",
            paramLabel = "FILE",
            description =
                    "Write failed inputs ({\"id\":...,\"error\":{\"code\":...,\"message\":...}}) to this JSON Lines "
                            + "file instead of the output, so that the output holds only vectors (replaced if it exists).")
    Path errors;

    @Option(
            names = "--resume",
            description =
                    "Continue the job an interrupted embed started on this output (killed, stopped or timed out): "
                            + "keep the lines written, produce only the requests Kafka does not hold, wait for the rest. "
                            + "The job id, model, input type, texts per request and errors file are the earlier run's.")
    boolean resume;

    @Option(
            names = "--max-in-flight",
            paramLabel = "N",
            defaultValue = "" + EmbedJob.DEFAULT_MAX_IN_FLIGHT,
            description =
                    "At most N requests produced but not yet written; also bounds the reorder buffer (default: ${DEFAULT-VALUE}).")
    int maxInFlight;

    @Option(
            names = "--timeout",
            paramLabel = "DURATION",
            defaultValue = "10m",
            converter = DurationConverter.class,
            description = "Give up (exit 1) when no result has arrived for this long (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(
            names = "--no-progress",
            description = "Do not draw the progress bar (it is off anyway when stderr is not a terminal).")
    boolean noProgress;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        PrintStream err = parent.err();
        if (resume && job.jobId != null) {
            throw new CliException("--resume continues the job recorded next to " + output + "; leave out --job-id");
        }
        JobSpec jobSpec = job.toSpec(connection.toConnection(), connection.connectTimeout());
        EmbedJob.Options options =
                new EmbedJob.Options(jobSpec, output, errors, maxInFlight, timeout, !noProgress, resume);
        EmbedJob embed = new EmbedJob(options, err);
        // where the job runs, once, before the progress display
        err.println("Embedding " + jobSpec.input().file() + " with " + jobSpec.model() + " through "
                + jobSpec.connection().describe() + ", topics "
                + jobSpec.connection().topicPrefix() + ".*");
        EmbedSummary summary;
        StopOnSignal signals = new StopOnSignal(embed::stop);
        try {
            summary = embed.run();
        } finally {
            signals.close();
        }
        err.print(summary.describe());
        err.flush();
        return summary.exitCode();
    }
}
