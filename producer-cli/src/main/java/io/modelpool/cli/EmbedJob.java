package io.modelpool.cli;

import io.modelpool.cli.input.InputException;
import io.modelpool.cli.input.InputFormat;
import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.kafka.Clients;
import io.modelpool.cli.kafka.JobTopics;
import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.cli.kafka.RequestSender;
import io.modelpool.cli.kafka.ResultTail;
import io.modelpool.cli.output.JsonlResultWriter;
import io.modelpool.cli.output.Progress;
import io.modelpool.cli.output.ReorderWindow;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds a file of texts through Kafka and writes the vectors, in input order, to a JSON Lines file:
 * the {@code modelpool embed} command, callable in-process (the worker's {@code local} mode runs it).
 *
 * <p>The run, in order:
 * <ol>
 *   <li>reads the input once to check it and count it (a malformed file stops here, before anything
 *       is produced);
 *   <li>checks the topics, and opens a tail on the result topic at its current end, before producing,
 *       so no result can be missed;
 *   <li>registers the job on {@code <prefix>.jobs} with the expected request count;
 *   <li>produces requests while at most {@code maxInFlight} are unwritten, reads results, drops those
 *       of other jobs and duplicates, and writes each input's line as soon as every earlier line is
 *       written ({@link ReorderWindow});
 *   <li>ends when every input has a line, when no result has come for {@code timeout}, or on
 *       {@link #stop()}.
 * </ol>
 * Memory stays bounded whatever the file size: one input record, at most {@code maxInFlight} requests
 * and their results, and the producer's buffer.
 *
 * <p>{@link #run()} runs on the calling thread and may be called once. {@link #stop()} may be called
 * from any thread (a shutdown hook, another component); the run then ends within about 100 ms and
 * reports {@link EmbedSummary.Outcome#STOPPED}.
 */
public final class EmbedJob {
    public static final int DEFAULT_MAX_IN_FLIGHT = 10_000;
    public static final int MAX_IN_FLIGHT_LIMIT = 1_000_000;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);

    private static final Logger log = LoggerFactory.getLogger(EmbedJob.class);
    private static final Duration POLL = Duration.ofMillis(100);

    /**
     * How to run an embed job.
     *
     * @param job what to embed and where to send it
     * @param output the JSONL file to create or replace
     * @param maxInFlight at most this many requests produced but not yet written to the output,
     *     1 to {@value #MAX_IN_FLIGHT_LIMIT}; it also bounds the reorder buffer
     * @param timeout give up when no result has arrived for this long
     * @param progress draw a progress bar on the message stream, when the process has a terminal
     */
    public record Options(JobSpec job, Path output, int maxInFlight, Duration timeout, boolean progress) {
        public Options {
            Objects.requireNonNull(job, "job");
            if (output == null) {
                throw new CliException("--output must name the file to write");
            }
            if (output.toAbsolutePath().normalize().equals(job.input().file().toAbsolutePath().normalize())) {
                throw new CliException("--output " + output + " is the input file; name another file");
            }
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
                throw new CliException("--max-in-flight must be between 1 and " + MAX_IN_FLIGHT_LIMIT
                        + ", was " + maxInFlight);
            }
            CliException.requirePositive("--timeout", timeout);
        }

        /** Options with the defaults: {@value #DEFAULT_MAX_IN_FLIGHT} in flight, a 10-minute timeout, no progress bar. */
        public static Options of(JobSpec job, Path output) {
            return new Options(job, output, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT, false);
        }

        public Options withMaxInFlight(int n) {
            return new Options(job, output, n, timeout, progress);
        }

        public Options withTimeout(Duration d) {
            return new Options(job, output, maxInFlight, d, progress);
        }

        public Options withProgress(boolean show) {
            return new Options(job, output, maxInFlight, timeout, show);
        }
    }

    private final Options options;
    private final PrintStream messages;
    private volatile boolean stopRequested;

    /**
     * @param messages where notes and the progress bar go (stderr for the command); the summary is not
     *     printed here but returned by {@link #run()}
     */
    public EmbedJob(Options options, PrintStream messages) {
        this.options = Objects.requireNonNull(options, "options");
        this.messages = Objects.requireNonNull(messages, "messages");
    }

    /** Asks a running job to end soon; safe from any thread. */
    public void stop() {
        stopRequested = true;
    }

    /**
     * Runs the job to its end.
     *
     * @return what happened; {@link EmbedSummary#exitCode()} maps it to the command's exit status
     * @throws CliException when the job cannot run: bad input, Kafka or the registry unreachable, a
     *     missing topic, an output file that cannot be written
     */
    public EmbedSummary run() {
        long started = System.nanoTime();
        JobSpec spec = options.job();
        long inputs = Jobs.countInputs(spec);
        long requests = RequestBatcher.requestCount(inputs, spec.textsPerRequest());
        boolean jobsTopicExists = Jobs.checkTopics(spec, true);
        JobTopics topics = JobTopics.textEmbedding(spec.connection());
        log.info("Embedding job {}: {} inputs in {} requests, model {}, {}", spec.jobId(), inputs, requests,
                spec.model(), spec.connection().describe());
        try (ResultTail tail = ResultTail.atEnd(spec.connection(), topics.results(), spec.connectTimeout(),
                     "modelpool-cli-" + spec.jobId());
             RequestSender sender = new RequestSender(Clients.producer(spec.connection(), spec.connectTimeout(),
                     "modelpool-cli-" + spec.jobId()));
             InputReader reader = InputReader.open(spec.input());
             JsonlResultWriter out = openOutput(options.output());
             Progress progress = options.progress()
                     ? Progress.forStderr("embed " + spec.jobId(), inputs, messages)
                     : Progress.none()) {
            Jobs.register(sender, spec, requests, jobsTopicExists, messages);
            Run run = new Run(spec, topics, sender, tail, new RequestBatcher(reader, spec.jobId(), spec.textsPerRequest()),
                    out, progress);
            EmbedSummary.Outcome outcome = run.loop();
            sender.flush();
            out.flush();
            long answered = run.succeeded + run.failed;
            return new EmbedSummary(spec.jobId(), options.output(), inputs, requests, run.succeeded, run.failed,
                    run.failuresByCode, run.truncated, run.tokens, inputs - answered, run.duplicates,
                    Duration.ofNanos(System.nanoTime() - started), outcome);
        } catch (InputException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new CliException("cannot read " + spec.input().file() + " or write " + options.output() + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while registering job " + spec.jobId(), e);
        }
    }

    private static JsonlResultWriter openOutput(Path output) {
        try {
            return JsonlResultWriter.create(output);
        } catch (IOException e) {
            throw new CliException("cannot create --output " + output + ": " + e.getMessage(), e);
        }
    }

    /** A request produced and not yet answered. */
    private record InFlight(long sequence, List<String> inputIds) {
    }

    /**
     * An answered request, waiting in the window for every earlier one. Vectors are kept as float arrays: Avro's
     * decoded {@code List<Float>} takes about five times the memory, and up to {@code maxInFlight} answers wait here.
     */
    private record Answer(List<String> inputIds, List<float[]> vectors, long tokens, long truncated,
                          String errorCode, String errorMessage) {
        static Answer failed(List<String> inputIds, String code, String message) {
            return new Answer(inputIds, null, 0, 0, code, message);
        }

        static Answer of(List<String> inputIds, TextEmbeddingResult result) {
            if (result.getStatus() == ResultStatus.ERROR || result.getPayload() == null) {
                ResultError error = result.getError();
                return error == null
                        ? failed(inputIds, "INTERNAL", "the worker answered " + result.getStatus() + " without a payload")
                        : failed(inputIds, error.getCode().name(), error.getMessage());
            }
            List<Embedding> embeddings = result.getPayload().getEmbeddings();
            if (embeddings.size() != inputIds.size()) {
                return failed(inputIds, "INTERNAL", "the result holds " + embeddings.size() + " embeddings for "
                        + inputIds.size() + " texts");
            }
            List<float[]> vectors = new ArrayList<>(embeddings.size());
            long tokens = 0;
            long truncated = 0;
            for (Embedding e : embeddings) {
                List<Float> vector = e.getVector();
                float[] values = new float[vector.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = vector.get(i);
                }
                vectors.add(values);
                tokens += e.getTokens();
                truncated += e.getTruncated() ? 1 : 0;
            }
            return new Answer(inputIds, vectors, tokens, truncated, null, null);
        }
    }

    /** One run's state; every method runs on the {@link #run()} thread. */
    private final class Run {
        private final JobSpec spec;
        private final JobTopics topics;
        private final RequestSender sender;
        private final ResultTail tail;
        private final RequestBatcher batcher;
        private final JsonlResultWriter out;
        private final Progress progress;
        private final ReorderWindow<Answer> window;
        private final Map<String, InFlight> inFlight = new HashMap<>();
        private final Map<String, Long> failuresByCode = new TreeMap<>();
        private long succeeded;
        private long failed;
        private long truncated;
        private long tokens;
        private long duplicates;

        Run(JobSpec spec, JobTopics topics, RequestSender sender, ResultTail tail, RequestBatcher batcher,
            JsonlResultWriter out, Progress progress) {
            this.spec = spec;
            this.topics = topics;
            this.sender = sender;
            this.tail = tail;
            this.batcher = batcher;
            this.out = out;
            this.progress = progress;
            this.window = new ReorderWindow<>(options.maxInFlight());
        }

        EmbedSummary.Outcome loop() throws IOException {
            PlannedRequest next = batcher.next();
            long lastResult = System.nanoTime();
            long timeoutNanos = options.timeout().toNanos();
            while (true) {
                while (next != null && window.hasRoom()) {
                    send(next);
                    next = batcher.next();
                }
                handleSendFailures();
                release();
                if (next == null && window.unreleased() == 0) {
                    return EmbedSummary.Outcome.COMPLETED;
                }
                if (stopRequested) {
                    log.info("Embedding job {} stopped with {} requests unanswered", spec.jobId(), inFlight.size());
                    return EmbedSummary.Outcome.STOPPED;
                }
                boolean progressed = false;
                for (TextEmbeddingResult result : tail.poll(POLL)) {
                    progressed |= accept(result);
                }
                if (progressed) {
                    lastResult = System.nanoTime();
                    release();
                } else if (System.nanoTime() - lastResult > timeoutNanos) {
                    log.info("Embedding job {} timed out with {} requests unanswered", spec.jobId(), inFlight.size());
                    return EmbedSummary.Outcome.TIMED_OUT;
                }
            }
        }

        private void send(PlannedRequest request) {
            if (inFlight.containsKey(request.requestId())) {
                String where = spec.input().resolvedFormat() == InputFormat.CSV ? "record " : "line ";
                throw new CliException("input id '" + request.requestId() + "' at " + where + request.firstLine()
                        + " of " + spec.input().file() + " is used twice in the job; ids must be unique");
            }
            long sequence = window.open();
            inFlight.put(request.requestId(), new InFlight(sequence, request.inputIds()));
            try {
                sender.send(topics.requests(), request.requestId(), Jobs.toRequest(spec, request), sequence);
            } catch (KafkaException e) {
                throw KafkaFailures.translate("producing to " + topics.requests(), e, spec.connection(),
                        spec.connectTimeout());
            }
        }

        private void handleSendFailures() {
            for (RequestSender.Failure failure : sender.takeFailures()) {
                if (!failure.recordAtFault()) {
                    throw KafkaFailures.translate("producing to " + topics.requests(), failure.cause(),
                            spec.connection(), spec.connectTimeout());
                }
                InFlight request = inFlight.remove(failure.key());
                if (request != null) {
                    window.complete(request.sequence(), Answer.failed(request.inputIds(), "INPUT_TOO_LARGE",
                            "the request is larger than Kafka accepts: " + failure.cause().getMessage()));
                }
            }
        }

        /** Takes one result; true when it answered one of this job's open requests. */
        private boolean accept(TextEmbeddingResult result) {
            if (!spec.jobId().equals(result.getJobId())) {
                return false;
            }
            InFlight request = inFlight.remove(result.getRequestId());
            if (request == null) {
                duplicates++;
                return false;
            }
            window.complete(request.sequence(), Answer.of(request.inputIds(), result));
            return true;
        }

        /** Writes every answer whose predecessors are all written. */
        private void release() throws IOException {
            Answer answer;
            while ((answer = window.pollNext()) != null) {
                write(answer);
            }
        }

        private void write(Answer answer) throws IOException {
            List<String> ids = answer.inputIds();
            tokens += answer.tokens();
            truncated += answer.truncated();
            for (int i = 0; i < ids.size(); i++) {
                if (answer.vectors() != null) {
                    out.writeVector(ids.get(i), null, answer.vectors().get(i));
                    succeeded++;
                } else {
                    out.writeError(ids.get(i), null, answer.errorCode(), answer.errorMessage());
                    failed++;
                    failuresByCode.merge(answer.errorCode(), 1L, Long::sum);
                }
            }
            progress.stepBy(ids.size());
            if (answer.vectors() == null) {
                progress.note(failed + " failed");
            }
        }
    }
}
