package io.modelpool.cli;

import io.modelpool.cli.kafka.Clients;
import io.modelpool.cli.kafka.KafkaFailures;
import io.modelpool.cli.kafka.RequestSender;
import io.modelpool.schemas.Topics;
import io.modelpool.v1.JobAction;
import io.modelpool.v1.JobControl;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.KafkaException;

/**
 * {@code modelpool cancel}: writes a CANCEL {@link JobControl} for the job to the compacted
 * {@code <prefix>.jobs.control} topic and returns once Kafka has acknowledged it. Every worker reads that topic and answers the job's requests that
 * have not started computing with CANCELLED; the job tracker shows the job CANCELLING, then CANCELLED.
 *
 * <p>The job must be known to the job status topic and not have ended: cancelling an unknown job
 * ({@link ExitCodes#UNKNOWN_JOB}) or one that is COMPLETED, CANCELLED or EXPIRED ({@link ExitCodes#JOB_ENDED}) writes
 * nothing and says so. A job already CANCELLING is not cancelled twice.
 */
public final class CancelJob {

    /** How the cancel ended: the exit status and one line for the user. */
    public record Outcome(int exitCode, String message) {}

    private final KafkaConnection connection;
    private final String jobId;
    private final Duration timeout;

    public CancelJob(KafkaConnection connection, String jobId, Duration timeout) {
        this.connection = Objects.requireNonNull(connection, "connection");
        this.jobId = Objects.requireNonNull(jobId, "jobId");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** Whether a job in this state has ended and never changes state again. */
    public static boolean ended(JobState state) {
        return state == JobState.COMPLETED || state == JobState.CANCELLED || state == JobState.EXPIRED;
    }

    /**
     * Cancels the job, or says why not.
     *
     * @throws CliException when Kafka or the registry cannot be reached, or a job topic is missing
     */
    public Outcome run() {
        JobStatus status;
        try (JobStatusFeed feed = JobStatusFeed.open(connection, timeout)) {
            status = feed.readToEnd().get(jobId);
        }
        String statusTopic = Topics.jobStatus(connection.topicPrefix());
        if (status == null) {
            return new Outcome(
                    ExitCodes.UNKNOWN_JOB,
                    "no job " + jobId + " on " + statusTopic
                            + ": nothing to cancel (is the id right, and does a worker run the job tracker?)");
        }
        if (ended(status.getState())) {
            return new Outcome(
                    ExitCodes.JOB_ENDED,
                    "job " + jobId + " has already ended: " + JobWaiter.summary(status) + "; nothing to cancel");
        }
        if (status.getState() == JobState.CANCELLING) {
            return new Outcome(
                    ExitCodes.OK, "job " + jobId + " is already being cancelled: " + JobWaiter.summary(status));
        }
        String controlTopic = Topics.jobControl(connection.topicPrefix());
        try {
            if (!Clients.missingTopics(connection, List.of(controlTopic), timeout)
                    .isEmpty()) {
                throw new CliException("topic " + controlTopic + " does not exist on Kafka at "
                        + connection.bootstrapServers() + " (workers create it with topics.create=true)");
            }
        } catch (KafkaException e) {
            throw KafkaFailures.translate("looking up " + controlTopic, e, connection, timeout);
        }
        JobControl cancel = JobControl.newBuilder()
                .setJobId(jobId)
                .setAction(JobAction.CANCEL)
                .setRequestedBy(Jobs.submitter())
                .setRequestedAt(Instant.now())
                .build();
        try (RequestSender sender =
                new RequestSender(Clients.producer(connection, timeout, "modelpool-cli-cancel-" + jobId))) {
            sender.sendAndWait(controlTopic, jobId, cancel, timeout);
        } catch (KafkaException e) {
            throw KafkaFailures.translate("cancelling job " + jobId + " on " + controlTopic, e, connection, timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CliException("interrupted while cancelling job " + jobId, e);
        }
        return new Outcome(
                ExitCodes.OK,
                "job " + jobId + " cancelled: its requests not yet computing are answered "
                        + "CANCELLED; follow it with 'modelpool status " + jobId + "'");
    }
}
