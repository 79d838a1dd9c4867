package io.modelpool.cli.command;

import io.modelpool.cli.JobSpec;
import io.modelpool.cli.KafkaConnection;
import io.modelpool.cli.input.InputFormat;
import io.modelpool.cli.input.InputSpec;
import io.modelpool.v1.EmbeddingInputType;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** What to embed and how: shared by {@code embed} and {@code submit}. */
public final class JobOptions {

    @Option(
            names = {"-i", "--input"},
            paramLabel = "FILE",
            required = true,
            description = "Input file: text lines, JSON Lines or CSV.")
    Path input;

    @Option(
            names = "--format",
            paramLabel = "FORMAT",
            description =
                    "Input format: ${COMPLETION-CANDIDATES} (default: by extension, .jsonl/.ndjson = jsonl, .csv = csv, else lines).")
    InputFormat format;

    @Option(
            names = {"--text-field", "--column"},
            paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text (default: " + InputSpec.DEFAULT_TEXT_FIELD + ").")
    String textField;

    @Option(
            names = "--id-field",
            paramLabel = "NAME",
            description = "JSONL field or CSV column holding each input's id; when given, every record must have it "
                    + "(default: '" + InputSpec.DEFAULT_ID_FIELD + "' if present, else <job-id>-<line>).")
    String idField;

    @Option(
            names = "--model",
            paramLabel = "KEY",
            defaultValue = JobSpec.DEFAULT_MODEL,
            description = "Model key in the workers' manifest (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(
            names = "--job-id",
            paramLabel = "ID",
            description = "Job id (default: generated, job-<UTC time>-<random>).")
    String jobId;

    @Option(
            names = "--input-type",
            paramLabel = "TYPE",
            defaultValue = "DOCUMENT",
            description = "Embed the texts as ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    EmbeddingInputType inputType;

    @Option(
            names = "--texts-per-request",
            paramLabel = "N",
            defaultValue = "1",
            description = "Inputs per request, 1 to " + JobSpec.MAX_TEXTS_PER_REQUEST + " (default: ${DEFAULT-VALUE}).")
    int textsPerRequest;

    @Option(
            names = "--completion-window",
            paramLabel = "DURATION",
            converter = DurationConverter.class,
            description = "Time the job has, from its registration, e.g. 24h; requests still unanswered then are "
                    + "answered EXPIRED without inference (default: none).")
    Duration completionWindow;

    /** The job these flags describe, on {@code connection}. */
    JobSpec toSpec(KafkaConnection connection, Duration connectTimeout) {
        return new JobSpec(
                connection,
                new InputSpec(input, format, idField, textField),
                model,
                jobId != null ? jobId : JobSpec.newJobId(),
                inputType,
                textsPerRequest,
                connectTimeout,
                completionWindow);
    }
}
