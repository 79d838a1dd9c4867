package io.modelpool.cli;

import io.modelpool.cli.kafka.JobTopics;
import io.modelpool.cli.kafka.ResultTail;
import io.modelpool.cli.output.JsonlResultWriter;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Follows the text-embedding result topic and prints results as JSON Lines: the {@code modelpool results}
 * command. A result of one text prints {@code {"id","jobId","vector"}}, one of several texts prints
 * {@code "vectors"}, a failure prints {@code "error"}. Results are printed as they arrive: with an
 * at-least-once worker a result can appear twice.
 *
 * <p>{@link #run()} runs on the calling thread until {@code max} results are printed, nothing has arrived
 * for {@code idleTimeout}, or {@link #stop()} is called from another thread.
 */
public final class ResultFollower {
    private static final Duration POLL = Duration.ofMillis(200);

    /**
     * @param connection Kafka and the schema registry
     * @param jobId print only this job's results, or {@code null} for every result
     * @param fromBeginning read the topic from its start instead of from now on
     * @param max stop after this many results; 0 for no limit
     * @param idleTimeout stop when nothing was printed for this long; {@code null} to follow forever
     * @param connectTimeout how long to wait for Kafka
     */
    public record Options(
            KafkaConnection connection,
            String jobId,
            boolean fromBeginning,
            long max,
            Duration idleTimeout,
            Duration connectTimeout) {
        public Options {
            Objects.requireNonNull(connection, "connection");
            if (max < 0) {
                throw new CliException("--max must be 0 (no limit) or more, was " + max);
            }
            if (idleTimeout != null) {
                CliException.requirePositive("--idle-timeout", idleTimeout);
            }
            CliException.requirePositive("--connect-timeout", connectTimeout);
        }
    }

    private final Options options;
    private final JsonlResultWriter out;
    private volatile boolean stopRequested;

    /** @param out where the JSON lines go; flushed after every batch of results, not closed */
    public ResultFollower(Options options, JsonlResultWriter out) {
        this.options = Objects.requireNonNull(options, "options");
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Asks a running follower to end within about 200 ms; safe from any thread. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Prints results until one of the end conditions holds.
     *
     * @return how many results were printed
     * @throws CliException when Kafka is unreachable or the topic does not exist, or stdout fails
     */
    public long run() {
        String topic = JobTopics.textEmbedding(options.connection()).results();
        String clientId = "modelpool-cli-results";
        long printed = 0;
        try (ResultTail tail = options.fromBeginning()
                ? ResultTail.atBeginning(options.connection(), topic, options.connectTimeout(), clientId)
                : ResultTail.atEnd(options.connection(), topic, options.connectTimeout(), clientId)) {
            long lastPrinted = System.nanoTime();
            while (!stopRequested && (options.max() == 0 || printed < options.max())) {
                for (TextEmbeddingResult result : tail.poll(POLL)) {
                    if (options.jobId() != null && !options.jobId().equals(result.getJobId())) {
                        continue;
                    }
                    print(result);
                    printed++;
                    lastPrinted = System.nanoTime();
                    if (printed == options.max()) {
                        break;
                    }
                }
                out.flush();
                if (options.idleTimeout() != null
                        && System.nanoTime() - lastPrinted
                                > options.idleTimeout().toNanos()) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new CliException("cannot write results: " + e.getMessage(), e);
        }
        return printed;
    }

    private void print(TextEmbeddingResult result) throws IOException {
        String id = result.getRequestId();
        String jobId = result.getJobId();
        if (result.getStatus() == ResultStatus.OK && result.getPayload() != null) {
            List<Embedding> embeddings = result.getPayload().getEmbeddings();
            if (embeddings.size() == 1) {
                out.writeVector(id, jobId, embeddings.get(0).getVector());
            } else {
                out.writeVectors(
                        id, jobId, embeddings.stream().map(Embedding::getVector).toList());
            }
            return;
        }
        ResultError error = result.getError();
        out.writeError(
                id,
                jobId,
                error == null ? "INTERNAL" : error.getCode().name(),
                error == null
                        ? "the worker answered " + result.getStatus() + " without a payload"
                        : error.getMessage());
    }
}
