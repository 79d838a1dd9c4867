package io.modelpool.cli;

import io.modelpool.cli.input.InputSpec;
import io.modelpool.v1.EmbeddingInputType;
import java.nio.file.Files;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * What a text-embedding job is: where to send it, what to read, which model, and how to cut it into
 * requests. Shared by {@link EmbedJob} and {@link SubmitJob}. Every value is checked when the spec is
 * built; a bad one throws {@link CliException} naming the option and the value.
 *
 * @param connection Kafka and the schema registry
 * @param input the input file and how to read it
 * @param model the model's registry key in the workers' manifest
 * @param jobId the job's id, carried by every request and result
 * @param inputType documents or queries (models with asymmetric prefixes use it)
 * @param textsPerRequest how many inputs each request carries, 1 to {@value #MAX_TEXTS_PER_REQUEST}
 * @param connectTimeout how long to wait for Kafka before giving up
 * @param completionWindow how long the job has from its registration; requests still unanswered then are answered
 *                         EXPIRED without inference. Null for no window
 */
public record JobSpec(
        KafkaConnection connection,
        InputSpec input,
        String model,
        String jobId,
        EmbeddingInputType inputType,
        int textsPerRequest,
        Duration connectTimeout,
        Duration completionWindow) {
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2-q";
    public static final int MAX_TEXTS_PER_REQUEST = 256;
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._:-]{1,100}");
    private static final DateTimeFormatter JOB_TIME = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    public JobSpec {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(input, "input");
        if (!Files.isRegularFile(input.file())) {
            throw new CliException("--input " + input.file() + " does not exist or is not a file");
        }
        if (!Files.isReadable(input.file())) {
            throw new CliException("--input " + input.file() + " is not readable");
        }
        if (model == null || model.isBlank()) {
            throw new CliException("--model must name a model, for example " + DEFAULT_MODEL);
        }
        if (jobId == null || !JOB_ID.matcher(jobId).matches()) {
            throw new CliException(
                    "--job-id '" + jobId + "' is not valid: use 1 to 100 letters, digits, '.', '_', ':' or '-'");
        }
        Objects.requireNonNull(inputType, "inputType");
        if (textsPerRequest < 1 || textsPerRequest > MAX_TEXTS_PER_REQUEST) {
            throw new CliException(
                    "--texts-per-request must be between 1 and " + MAX_TEXTS_PER_REQUEST + ", was " + textsPerRequest);
        }
        CliException.requirePositive("--connect-timeout", connectTimeout);
        if (completionWindow != null) {
            CliException.requirePositive("--completion-window", completionWindow);
        }
    }

    /** A spec without a completion window. */
    public JobSpec(
            KafkaConnection connection,
            InputSpec input,
            String model,
            String jobId,
            EmbeddingInputType inputType,
            int textsPerRequest,
            Duration connectTimeout) {
        this(connection, input, model, jobId, inputType, textsPerRequest, connectTimeout, null);
    }

    /** A spec with the defaults: the default model, a new job id, documents, one text per request. */
    public static JobSpec of(KafkaConnection connection, InputSpec input) {
        return new JobSpec(
                connection, input, DEFAULT_MODEL, newJobId(), EmbeddingInputType.DOCUMENT, 1, DEFAULT_CONNECT_TIMEOUT);
    }

    public JobSpec withModel(String newModel) {
        return new JobSpec(
                connection, input, newModel, jobId, inputType, textsPerRequest, connectTimeout, completionWindow);
    }

    public JobSpec withJobId(String newJobId) {
        return new JobSpec(
                connection, input, model, newJobId, inputType, textsPerRequest, connectTimeout, completionWindow);
    }

    public JobSpec withInputType(EmbeddingInputType newInputType) {
        return new JobSpec(
                connection, input, model, jobId, newInputType, textsPerRequest, connectTimeout, completionWindow);
    }

    public JobSpec withTextsPerRequest(int n) {
        return new JobSpec(connection, input, model, jobId, inputType, n, connectTimeout, completionWindow);
    }

    public JobSpec withConnectTimeout(Duration timeout) {
        return new JobSpec(connection, input, model, jobId, inputType, textsPerRequest, timeout, completionWindow);
    }

    public JobSpec withCompletionWindow(Duration window) {
        return new JobSpec(connection, input, model, jobId, inputType, textsPerRequest, connectTimeout, window);
    }

    /** A fresh job id: {@code job-<UTC time>-<6 hex digits>}, readable and sortable by submission time. */
    public static String newJobId() {
        return "job-" + LocalDateTime.now(ZoneOffset.UTC).format(JOB_TIME) + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    }
}
