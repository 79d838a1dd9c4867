package io.modelpool.cli;

import io.modelpool.cli.input.InputException;
import io.modelpool.cli.input.InputFormat;
import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.kafka.Clients;
import io.modelpool.cli.kafka.JobTopics;
import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.cli.kafka.ProducedRequests;
import io.modelpool.cli.kafka.RequestSender;
import io.modelpool.cli.kafka.ResultTail;
import io.modelpool.cli.output.JsonlResultWriter;
import io.modelpool.cli.output.Progress;
import io.modelpool.cli.output.ReorderWindow;
import io.modelpool.cli.resume.JobState;
import io.modelpool.cli.resume.WrittenPrefix;
import io.modelpool.v1.Embedding;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
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
 *   <li>writes the job's state file next to the output ({@link JobState}): the job's id and how it cuts its
 *       inputs, and where the request and result topics ended before it produced;
 *   <li>registers the job on {@code <prefix>.jobs} with the expected request count;
 *   <li>produces requests while at most {@code maxInFlight} are unwritten, reads results, drops those
 *       of other jobs and duplicates, and writes each input's line as soon as every earlier line is
 *       written ({@link ReorderWindow});
 *   <li>ends when every input has a line, when no result has come for {@code timeout}, or on
 *       {@link #stop()}.
 * </ol>
 * Every request carries its position in the job in a header ({@link ProducedRequests}). With {@code --errors},
 * failed inputs go to their own file in the same order, and the output holds only vectors. A completed job removes
 * its state file.
 *
 * <p>A resumed run ({@link Options#resume()}) reads the state, keeps the lines the earlier run wrote whole
 * ({@link WrittenPrefix}), cuts both files there, reads the request topic from the job's start to learn which
 * later requests Kafka already holds, produces only the others, and reads the result topic from the job's start,
 * so every answer the job ever got is seen; the files end as an uninterrupted run would have written them.
 *
 * <p>Memory stays bounded whatever the file size: one input record, at most {@code maxInFlight} requests
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
     * @param output the JSONL file to create or replace (with {@code resume}: to continue)
     * @param errors the JSONL file failed inputs go to, created or replaced; {@code null} writes them to the output
     * @param maxInFlight at most this many requests produced but not yet written to the output,
     *     1 to {@value #MAX_IN_FLIGHT_LIMIT}; it also bounds the reorder buffer
     * @param timeout give up when no result has arrived for this long
     * @param progress draw a progress bar on the message stream, when the process has a terminal
     * @param resume continue the job an earlier, interrupted run started on this output, from its state file
     *     ({@link JobState}); the job id, model, input type, texts per request and errors file are the state's
     */
    public record Options(
            JobSpec job,
            Path output,
            Path errors,
            int maxInFlight,
            Duration timeout,
            boolean progress,
            boolean resume) {
        public Options {
            Objects.requireNonNull(job, "job");
            if (output == null) {
                throw new CliException("--output must name the file to write");
            }
            Path input = job.input().file().toAbsolutePath().normalize();
            if (output.toAbsolutePath().normalize().equals(input)) {
                throw new CliException("--output " + output + " is the input file; name another file");
            }
            if (errors != null
                    && (errors.toAbsolutePath().normalize().equals(input)
                            || errors.toAbsolutePath()
                                    .normalize()
                                    .equals(output.toAbsolutePath().normalize()))) {
                throw new CliException("--errors " + errors + " is the input or the output file; name another file");
            }
            if (maxInFlight < 1 || maxInFlight > MAX_IN_FLIGHT_LIMIT) {
                throw new CliException(
                        "--max-in-flight must be between 1 and " + MAX_IN_FLIGHT_LIMIT + ", was " + maxInFlight);
            }
            CliException.requirePositive("--timeout", timeout);
        }

        public Options(JobSpec job, Path output, int maxInFlight, Duration timeout, boolean progress) {
            this(job, output, null, maxInFlight, timeout, progress, false);
        }

        /** Options with the defaults: {@value #DEFAULT_MAX_IN_FLIGHT} in flight, a 10-minute timeout, no progress bar. */
        public static Options of(JobSpec job, Path output) {
            return new Options(job, output, DEFAULT_MAX_IN_FLIGHT, DEFAULT_TIMEOUT, false);
        }

        public Options withMaxInFlight(int n) {
            return new Options(job, output, errors, n, timeout, progress, resume);
        }

        public Options withTimeout(Duration d) {
            return new Options(job, output, errors, maxInFlight, d, progress, resume);
        }

        public Options withProgress(boolean show) {
            return new Options(job, output, errors, maxInFlight, timeout, show, resume);
        }

        public Options withErrors(Path file) {
            return new Options(job, output, file, maxInFlight, timeout, progress, resume);
        }

        public Options withResume(boolean continueEarlierRun) {
            return new Options(job, output, errors, maxInFlight, timeout, progress, continueEarlierRun);
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
        JobState earlier = options.resume() ? readState(options.output()) : null;
        JobSpec spec = earlier == null ? options.job() : resumedSpec(options.job(), earlier);
        Path errors = earlier == null ? options.errors() : resumedErrors(earlier);
        long inputs = Jobs.countInputs(spec);
        long requests = RequestBatcher.requestCount(inputs, spec.textsPerRequest());
        Jobs.CheckedTopics checked = Jobs.checkTopics(spec, true);
        boolean jobsTopicExists = checked.jobsTopicExists();
        // A resumed job reads and produces where its first run produced, whatever exists now.
        JobTopics topics = earlier == null
                ? checked.topics()
                : checked.topics()
                        .withRequests(
                                earlier.requestTopic() != null
                                        ? earlier.requestTopic()
                                        : checked.topics().interactiveRequests());
        if (earlier == null && checked.note() != null) {
            messages.println(checked.note());
        }
        log.info(
                "Embedding job {}: {} inputs in {} requests, model {}, {}",
                spec.jobId(),
                inputs,
                requests,
                spec.model(),
                spec.connection().describe());
        String clientId = "modelpool-cli-" + spec.jobId();
        try (ResultTail tail = earlier == null
                        ? ResultTail.atEnd(spec.connection(), topics.results(), spec.connectTimeout(), clientId)
                        : ResultTail.atOffsets(
                                spec.connection(),
                                topics.results(),
                                earlier.resultOffsets(),
                                spec.connectTimeout(),
                                clientId);
                RequestSender sender =
                        new RequestSender(Clients.producer(spec.connection(), spec.connectTimeout(), clientId));
                InputReader reader = InputReader.open(spec.input())) {
            RequestBatcher batcher = new RequestBatcher(reader, spec.jobId(), spec.textsPerRequest());
            Start start = earlier == null
                    ? startFresh(spec, topics, tail, errors)
                    : startResumed(spec, topics, earlier, batcher, errors, requests);
            try (JsonlResultWriter out = openOutput(options.output(), "--output", earlier != null);
                    JsonlResultWriter errorsOut =
                            errors == null ? null : openOutput(errors, "--errors", earlier != null);
                    Progress progress = options.progress()
                            ? Progress.forStderr("embed " + spec.jobId(), inputs, messages)
                            : Progress.none()) {
                if (earlier == null) {
                    Jobs.register(sender, spec, requests, jobsTopicExists, messages);
                }
                Run run = new Run(spec, topics, sender, tail, batcher, start, out, errorsOut, progress);
                EmbedSummary.Outcome outcome = run.loop();
                sender.flush();
                out.flush();
                if (errorsOut != null) {
                    errorsOut.flush();
                }
                if (outcome == EmbedSummary.Outcome.COMPLETED) {
                    JobState.delete(options.output());
                }
                long answered = run.succeeded + run.failed;
                return new EmbedSummary(
                        spec.jobId(),
                        options.output(),
                        inputs,
                        requests,
                        run.succeeded,
                        run.failed,
                        run.failuresByCode,
                        run.truncated,
                        run.tokens,
                        inputs - answered,
                        run.duplicates,
                        Duration.ofNanos(System.nanoTime() - started),
                        outcome);
            }
        } catch (InputException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException | UncheckedIOException e) {
            throw new CliException(
                    "cannot read " + spec.input().file() + " or write " + options.output() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while registering job " + spec.jobId(), e);
        }
    }

    private static JsonlResultWriter openOutput(Path file, String option, boolean append) {
        try {
            return append ? JsonlResultWriter.append(file) : JsonlResultWriter.create(file);
        } catch (IOException e) {
            throw new CliException(
                    "cannot " + (append ? "open " : "create ") + option + " " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Where a run starts: the first request to offer (the batcher has already read it; {@code null} when the prefix
     * took every request), how many requests and inputs an earlier run wrote, and which later requests Kafka already
     * holds (bits counted from {@code doneRequests}).
     */
    private record Start(
            boolean resumed,
            PlannedRequest first,
            long doneRequests,
            long doneInputs,
            Map<String, Long> doneFailures,
            BitSet produced) {
        long doneFailed() {
            return doneFailures.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Writes the job's state file before anything is produced, so that a killed run can be resumed. */
    private Start startFresh(JobSpec spec, JobTopics topics, ResultTail tail, Path errors) throws IOException {
        Map<Integer, Long> requestEnds =
                ProducedRequests.endOffsets(spec.connection(), topics.requests(), spec.connectTimeout());
        new JobState(
                        spec.jobId(),
                        spec.model(),
                        spec.inputType().name(),
                        spec.textsPerRequest(),
                        errors == null ? null : errors.toAbsolutePath().toString(),
                        topics.requests(),
                        requestEnds,
                        tail.positions())
                .write(options.output());
        return new Start(false, null, 0, 0, Map.of(), new BitSet());
    }

    /** Finds what the earlier run wrote, cuts the files after it, and learns which later requests Kafka holds. */
    private Start startResumed(
            JobSpec spec, JobTopics topics, JobState earlier, RequestBatcher batcher, Path errors, long requests)
            throws IOException {
        PlannedRequest first;
        long doneRequests;
        long doneInputs;
        Map<String, Long> doneFailures;
        try (WrittenPrefix prefix = WrittenPrefix.open(options.output(), errors)) {
            while ((first = batcher.next()) != null && prefix.take(first.inputIds())) {
                first = null;
            }
            doneRequests = prefix.requests();
            doneInputs = prefix.inputs();
            doneFailures = prefix.failuresByCode();
            prefix.truncate();
        }
        BitSet produced = ProducedRequests.scan(
                spec.connection(),
                topics.requests(),
                earlier.requestOffsets(),
                spec.jobId(),
                doneRequests,
                spec.connectTimeout());
        messages.println("Resuming job " + spec.jobId() + ": " + doneInputs + " inputs already written, "
                + produced.cardinality() + " of the other " + (requests - doneRequests)
                + " requests already produced.");
        log.info(
                "Resuming job {} after request {}: {} later requests already on {}",
                spec.jobId(),
                doneRequests,
                produced.cardinality(),
                topics.requests());
        return new Start(true, first, doneRequests, doneInputs, doneFailures, produced);
    }

    private static JobState readState(Path output) {
        try {
            return JobState.read(output);
        } catch (NoSuchFileException e) {
            throw new CliException(
                    "--resume: there is no job to resume on " + output + " (" + JobState.fileFor(output)
                            + " is written when embed starts and removed when the job completes)",
                    e);
        } catch (IOException e) {
            throw new CliException("--resume: cannot read " + JobState.fileFor(output) + ": " + e.getMessage(), e);
        }
    }

    /** The job as the earlier run defined it: its id, model, input type and texts per request. */
    private static JobSpec resumedSpec(JobSpec given, JobState earlier) {
        EmbeddingInputType inputType;
        try {
            inputType = EmbeddingInputType.valueOf(earlier.inputType());
        } catch (IllegalArgumentException e) {
            throw new CliException(
                    "--resume: the job state names input type " + earlier.inputType()
                            + ", which this version does not know",
                    e);
        }
        return given.withJobId(earlier.jobId())
                .withModel(earlier.model())
                .withInputType(inputType)
                .withTextsPerRequest(earlier.textsPerRequest());
    }

    private Path resumedErrors(JobState earlier) {
        Path recorded = earlier.errors() == null ? null : Path.of(earlier.errors());
        Path given = options.errors();
        if (given != null
                && (recorded == null
                        || !given.toAbsolutePath()
                                .normalize()
                                .equals(recorded.toAbsolutePath().normalize()))) {
            throw new CliException("--resume: job " + earlier.jobId() + " wrote its failures to "
                    + (recorded == null ? "the output" : recorded) + "; leave out --errors or name that file");
        }
        return recorded;
    }

    /** A request produced and not yet answered. */
    private record InFlight(long sequence, List<String> inputIds) {}

    /**
     * An answered request, waiting in the window for every earlier one. Vectors are kept as float arrays: Avro's
     * decoded {@code List<Float>} takes about five times the memory, and up to {@code maxInFlight} answers wait here.
     */
    private record Answer(
            List<String> inputIds,
            List<float[]> vectors,
            long tokens,
            long truncated,
            String errorCode,
            String errorMessage) {
        static Answer failed(List<String> inputIds, String code, String message) {
            return new Answer(inputIds, null, 0, 0, code, message);
        }

        static Answer of(List<String> inputIds, TextEmbeddingResult result) {
            if (result.getStatus() == ResultStatus.ERROR || result.getPayload() == null) {
                ResultError error = result.getError();
                return error == null
                        ? failed(
                                inputIds,
                                "INTERNAL",
                                "the worker answered " + result.getStatus() + " without a payload")
                        : failed(inputIds, error.getCode().name(), error.getMessage());
            }
            List<Embedding> embeddings = result.getPayload().getEmbeddings();
            if (embeddings.size() != inputIds.size()) {
                return failed(
                        inputIds,
                        "INTERNAL",
                        "the result holds " + embeddings.size() + " embeddings for " + inputIds.size() + " texts");
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
        private final JsonlResultWriter errorsOut;
        private final Start start;
        private final Progress progress;
        private final ReorderWindow<Answer> window;
        private final Map<String, InFlight> inFlight = new HashMap<>();
        private final Map<String, Long> failuresByCode = new TreeMap<>();
        private long succeeded;
        private long failed;
        private long truncated;
        private long tokens;
        private long duplicates;

        Run(
                JobSpec spec,
                JobTopics topics,
                RequestSender sender,
                ResultTail tail,
                RequestBatcher batcher,
                Start start,
                JsonlResultWriter out,
                JsonlResultWriter errorsOut,
                Progress progress) {
            this.spec = spec;
            this.topics = topics;
            this.sender = sender;
            this.tail = tail;
            this.batcher = batcher;
            this.start = start;
            this.out = out;
            this.errorsOut = errorsOut;
            this.progress = progress;
            // A resumed run opens at once every request Kafka already holds, so that no result read from the start
            // of the job finds its request not yet open; they are at most max-in-flight plus the lines the killed
            // run had not yet flushed.
            this.window = new ReorderWindow<>(
                    Math.max(options.maxInFlight(), start.produced().length()));
            this.succeeded = start.doneInputs() - start.doneFailed();
            this.failed = start.doneFailed();
            start.doneFailures().forEach((code, n) -> failuresByCode.merge(code, n, Long::sum));
            progress.stepBy(start.doneInputs());
        }

        EmbedSummary.Outcome loop() throws IOException {
            PlannedRequest next = start.resumed() ? start.first() : batcher.next();
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
            if (sequence < Integer.MAX_VALUE && start.produced().get((int) sequence)) {
                return; // the interrupted run produced it: its result is on the way or already on the result topic
            }
            long index = start.doneRequests() + sequence;
            try {
                sender.send(
                        topics.requests(),
                        request.requestId(),
                        Jobs.toRequest(spec, request),
                        sequence,
                        ProducedRequests.headers(spec.jobId(), index));
            } catch (KafkaException e) {
                throw KafkaFailures.translate(
                        "producing to " + topics.requests(), e, spec.connection(), spec.connectTimeout());
            }
        }

        private void handleSendFailures() {
            for (RequestSender.Failure failure : sender.takeFailures()) {
                if (!failure.recordAtFault()) {
                    throw KafkaFailures.translate(
                            "producing to " + topics.requests(),
                            failure.cause(),
                            spec.connection(),
                            spec.connectTimeout());
                }
                InFlight request = inFlight.remove(failure.key());
                if (request != null) {
                    window.complete(
                            request.sequence(),
                            Answer.failed(
                                    request.inputIds(),
                                    "INPUT_TOO_LARGE",
                                    "the request is larger than Kafka accepts: "
                                            + failure.cause().getMessage()));
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
                // A resumed run reads the job's results from its start: those of lines already written are no news.
                duplicates += start.resumed() ? 0 : 1;
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
                    (errorsOut != null ? errorsOut : out)
                            .writeError(ids.get(i), null, answer.errorCode(), answer.errorMessage());
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
