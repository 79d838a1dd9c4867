package io.modelpool.cli.command;

import io.modelpool.cli.CliException;
import io.modelpool.cli.ResultFollower;
import io.modelpool.cli.output.JsonlResultWriter;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code modelpool results}: follow the result topic and print JSON lines. */
@Command(
        name = "results",
        sortOptions = false,
        header = "Follow the result topic and print results as JSON lines.",
        mixinStandardHelpOptions = true,
        description = {
            "Follow PREFIX.text-embedding.results and print each result as a JSON line on",
            "stdout: {\"id\":...,\"jobId\":...,\"vector\":[...]}, with \"vectors\" for a request",
            "of several texts, or \"error\". Runs until --max results are printed,",
            "--idle-timeout passes without one, or Ctrl-C. With an at-least-once worker a",
            "result may be printed twice.",
            ""
        },
        exitCodeListHeading = CommandHelp.EXIT_CODES_HEADING,
        exitCodeList = {"0:Ended normally (limit reached, idle, or interrupted).", CommandHelp.EXIT_COULD_NOT_RUN},
        footer = {
            "%nExample:",
            "  modelpool results --job-id job-20260101-120000-abc123 --from-beginning \\",
            "      --idle-timeout 30s > vectors.jsonl"
        })
public final class ResultsCommand implements Callable<Integer> {
    @ParentCommand
    ModelpoolCommand parent;

    @Option(names = "--job-id", paramLabel = "ID", description = "Print only this job's results (default: all).")
    String jobId;

    @Option(names = "--from-beginning", description = "Read the topic from its start instead of from now on.")
    boolean fromBeginning;

    @Option(
            names = "--max",
            paramLabel = "N",
            defaultValue = "0",
            description = "Stop after N results (default: 0, no limit).")
    long max;

    @Option(
            names = "--idle-timeout",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Stop when no result has arrived for this long (default: follow until interrupted).")
    Duration idleTimeout;

    @Mixin
    ConnectionOptions connection;

    @Override
    public Integer call() {
        ResultFollower.Options options = new ResultFollower.Options(
                connection.toConnection(), jobId, fromBeginning, max, idleTimeout, connection.connectTimeout());
        try (JsonlResultWriter out = JsonlResultWriter.unclosed(parent.out())) {
            ResultFollower follower = new ResultFollower(options, out);
            StopOnSignal signals = new StopOnSignal(follower::stop);
            try {
                follower.run();
            } finally {
                signals.close();
            }
        } catch (IOException e) {
            throw new CliException("cannot write to stdout: " + e.getMessage(), e);
        }
        return 0;
    }
}
