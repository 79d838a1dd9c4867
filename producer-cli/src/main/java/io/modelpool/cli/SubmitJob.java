package io.modelpool.cli;

import io.modelpool.cli.input.InputException;
import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.kafka.Clients;
import io.modelpool.cli.kafka.JobTopics;
import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.cli.kafka.RequestSender;
import io.modelpool.cli.output.Progress;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.KafkaException;

/**
 * Produces a file's requests without waiting for results: the {@code modelpool submit} command. It
 * checks and counts the input, registers the job on {@code <prefix>.jobs}, produces every request, and
 * returns once Kafka has acknowledged them all. Memory is bounded by the producer's buffer, which makes
 * {@code send} wait when full.
 *
 * <p>{@link #run()} runs on the calling thread; a request Kafka refuses as too large is counted and
 * reported on the message stream (the first {@value #REPORTED_REJECTIONS} of them), any other delivery
 * failure ends the run with {@link CliException}.
 */
public final class SubmitJob {
    static final int REPORTED_REJECTIONS = 10;

    private final JobSpec spec;
    private final PrintStream messages;
    private final boolean progress;

    /**
     * @param messages where notes and the progress bar go (stderr for the command)
     * @param progress draw a progress bar, when the process has a terminal
     */
    public SubmitJob(JobSpec spec, PrintStream messages, boolean progress) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.messages = Objects.requireNonNull(messages, "messages");
        this.progress = progress;
    }

    /**
     * Submits the job.
     *
     * @throws CliException when the job cannot be submitted: bad input, Kafka or the registry unreachable,
     *     a missing topic
     */
    public SubmitSummary run() {
        long started = System.nanoTime();
        long inputs = Jobs.countInputs(spec);
        long requests = RequestBatcher.requestCount(inputs, spec.textsPerRequest());
        Jobs.CheckedTopics checked = Jobs.checkTopics(spec, false);
        boolean jobsTopicExists = checked.jobsTopicExists();
        JobTopics topics = checked.topics();
        if (checked.note() != null) {
            messages.println(checked.note());
        }
        long rejected = 0;
        try (RequestSender sender = new RequestSender(
                        Clients.producer(spec.connection(), spec.connectTimeout(), "modelpool-cli-" + spec.jobId()));
                InputReader reader = InputReader.open(spec.input());
                Progress bar = progress && Progress.stderrIsTerminal()
                        ? Progress.bar("submit " + spec.jobId(), inputs, messages)
                        : Progress.none()) {
            Jobs.register(sender, spec, requests, jobsTopicExists, messages);
            RequestBatcher batcher = new RequestBatcher(reader, spec.jobId(), spec.textsPerRequest());
            long sequence = 0;
            PlannedRequest request;
            while ((request = batcher.next()) != null) {
                sender.send(topics.requests(), request.requestId(), Jobs.toRequest(spec, request), sequence++);
                bar.stepBy(request.size());
                rejected += reportFailures(sender, topics.requests(), rejected);
            }
            sender.flush();
            rejected += reportFailures(sender, topics.requests(), rejected);
        } catch (KafkaException e) {
            throw KafkaFailures.translate(
                    "producing to " + topics.requests(), e, spec.connection(), spec.connectTimeout());
        } catch (InputException e) {
            throw new CliException(e.getMessage(), e);
        } catch (IOException e) {
            throw new CliException("cannot read " + spec.input().file() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while registering job " + spec.jobId(), e);
        }
        return new SubmitSummary(
                spec.jobId(), inputs, requests - rejected, rejected, Duration.ofNanos(System.nanoTime() - started));
    }

    private long reportFailures(RequestSender sender, String requestTopic, long rejectedSoFar) {
        long rejected = 0;
        for (RequestSender.Failure failure : sender.takeFailures()) {
            if (!failure.recordAtFault()) {
                throw KafkaFailures.translate(
                        "producing to " + requestTopic, failure.cause(), spec.connection(), spec.connectTimeout());
            }
            if (rejectedSoFar + rejected < REPORTED_REJECTIONS) {
                messages.println("Request " + failure.key() + " was rejected by Kafka: "
                        + failure.cause().getMessage());
            }
            rejected++;
        }
        return rejected;
    }
}
