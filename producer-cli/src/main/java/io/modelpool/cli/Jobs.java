package io.modelpool.cli;

import io.modelpool.cli.input.InputException;
import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.kafka.Clients;
import io.modelpool.cli.kafka.JobTopics;
import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.cli.kafka.RequestSender;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.TextEmbeddingRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.KafkaException;

/** The steps {@link EmbedJob} and {@link SubmitJob} share: count, check topics, register, build requests. */
final class Jobs {
    private Jobs() {}

    /**
     * Reads the whole input once, checking every record, and counts it.
     *
     * @throws CliException when the file is malformed, unreadable or holds no inputs
     */
    static long countInputs(JobSpec spec) {
        long inputs;
        try {
            inputs = InputReader.count(spec.input());
        } catch (InputException e) {
            throw new CliException(e.getMessage(), e);
        } catch (NoSuchFileException e) {
            throw new CliException("--input " + spec.input().file() + " does not exist", e);
        } catch (IOException e) {
            throw new CliException("cannot read " + spec.input().file() + ": " + e.getMessage(), e);
        }
        if (inputs == 0) {
            throw new CliException(spec.input().file() + " holds no inputs");
        }
        return inputs;
    }

    /**
     * The topics a job uses, as {@link #checkTopics} found them.
     *
     * @param topics          where requests go: the bulk request topic, or the request topic on an older fleet
     * @param jobsTopicExists whether the jobs topic exists (else the job runs unregistered)
     * @param note            what to tell the user about the choice, or {@code null}
     */
    record CheckedTopics(JobTopics topics, boolean jobsTopicExists, String note) {}

    /**
     * Checks that a text-embedding request topic (and the result topic, when {@code withResults}) exists, chooses
     * where the requests go, and says whether the jobs topic exists. Jobs go to the bulk request topic, which
     * workers read only while interactive requests leave room; a fleet whose workers predate it has none, and the
     * job then goes to the request topic as before (without priority over its backlog at intake).
     *
     * @throws CliException when Kafka is unreachable or a required topic is missing
     */
    static CheckedTopics checkTopics(JobSpec spec, boolean withResults) {
        KafkaConnection connection = spec.connection();
        JobTopics topics = JobTopics.textEmbedding(connection);
        String interactive = topics.interactiveRequests();
        List<String> wanted = withResults
                ? List.of(topics.requests(), interactive, topics.results(), topics.jobs())
                : List.of(topics.requests(), interactive, topics.jobs());
        Set<String> missing;
        try {
            missing = Clients.missingTopics(connection, wanted, spec.connectTimeout());
        } catch (KafkaException e) {
            throw KafkaFailures.translate("looking up topics", e, connection, spec.connectTimeout());
        }
        String bulk = topics.requests();
        String note = null;
        if (missing.contains(bulk)) {
            note = "Note: topic " + bulk + " does not exist (workers older than it), so job " + spec.jobId()
                    + " goes to " + interactive + ", where it shares partitions with interactive requests.";
            topics = topics.withRequests(interactive);
        }
        for (String topic : wanted) {
            if (missing.contains(topic) && !topic.equals(topics.jobs()) && !topic.equals(bulk)) {
                throw new CliException("topic " + topic + " does not exist on Kafka at " + connection.bootstrapServers()
                        + " (start a worker, which creates its topics, or check --topic-prefix)");
            }
        }
        return new CheckedTopics(topics, !missing.contains(topics.jobs()), note);
    }

    /**
     * Announces the job on the jobs topic and waits for Kafka to acknowledge it, so that the job tracker
     * knows the expected count before the first result. When the jobs topic does not exist the job runs
     * unregistered, and {@code messages} says so.
     */
    static void register(
            RequestSender sender, JobSpec spec, long expectedRequests, boolean jobsTopicExists, PrintStream messages)
            throws InterruptedException {
        JobTopics topics = JobTopics.textEmbedding(spec.connection());
        if (!jobsTopicExists) {
            messages.println("Note: topic " + topics.jobs() + " does not exist, so job " + spec.jobId()
                    + " is not registered with the job tracker; its requests run all the same.");
            return;
        }
        Instant now = Instant.now();
        JobRegistration registration = JobRegistration.newBuilder()
                .setJobId(spec.jobId())
                .setCapability(Capability.TEXT_EMBEDDING)
                .setModel(spec.model())
                .setExpectedCount(expectedRequests)
                .setSubmitter(submitter())
                .setSubmittedAt(now)
                .setExpiresAt(spec.completionWindow() == null ? null : now.plus(spec.completionWindow()))
                .build();
        try {
            sender.sendAndWait(topics.jobs(), spec.jobId(), registration, spec.connectTimeout());
        } catch (KafkaException e) {
            throw KafkaFailures.translate(
                    "registering job " + spec.jobId() + " on " + topics.jobs(),
                    e,
                    spec.connection(),
                    spec.connectTimeout());
        }
    }

    static TextEmbeddingRequest toRequest(JobSpec spec, PlannedRequest planned) {
        return TextEmbeddingRequest.newBuilder()
                .setId(planned.requestId())
                .setJobId(spec.jobId())
                .setModel(spec.model())
                .setDeadline(null)
                .setTexts(planned.texts())
                .setInputType(spec.inputType())
                .build();
    }

    /** {@code user@host}, as the job registration's submitter. */
    static String submitter() {
        String user = System.getProperty("user.name", "unknown");
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            String env = System.getenv("HOSTNAME");
            host = env != null && !env.isBlank() ? env : "unknown-host";
        }
        return user + "@" + host;
    }
}
