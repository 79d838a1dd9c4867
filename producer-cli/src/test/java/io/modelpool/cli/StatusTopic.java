package io.modelpool.cli;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobState;
import io.modelpool.v1.JobStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A fresh, compacted {@code <prefix>.jobs.status} topic on the shared devstack, written the way the worker's job
 * tracker writes it, for the {@code status} and {@code wait} commands to read.
 */
final class StatusTopic implements AutoCloseable {
    final String prefix;
    private final DevStack stack;
    private final KafkaProducer<String, JobStatus> producer;

    private StatusTopic(String prefix, DevStack stack) {
        this.prefix = prefix;
        this.stack = stack;
        this.producer = new KafkaProducer<>(
                stack.clientConfig(),
                new StringSerializer(),
                ConfluentAvroSerde.specificSerializer(JobStatus.class, stack.clientConfig(), false));
    }

    static StatusTopic create() {
        DevStack stack = SharedDevStack.get();
        String prefix = "s" + UUID.randomUUID().toString().substring(0, 8);
        stack.createTopics(List.of(
                new NewTopic(Topics.jobStatus(prefix), 1, (short) 1).configs(Map.of("cleanup.policy", "compact"))));
        return new StatusTopic(prefix, stack);
    }

    List<String> connectionArgs() {
        return List.of(
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--schema-registry",
                stack.schemaRegistryUrl(),
                "--topic-prefix",
                prefix,
                "--connect-timeout",
                "10s");
    }

    List<String> args(String... command) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(connectionArgs());
        return all;
    }

    /** Publishes {@code status} and waits for Kafka's acknowledgement. */
    void publish(JobStatus status) {
        try {
            producer.send(new ProducerRecord<>(Topics.jobStatus(prefix), status.getJobId(), status))
                    .get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot publish status of " + status.getJobId(), e.getCause());
        }
    }

    static JobStatus status(
            String jobId, JobState state, long expected, long succeeded, Map<String, Long> failuresByCode) {
        long failed =
                failuresByCode.values().stream().mapToLong(Long::longValue).sum();
        Instant first = Instant.now().minusSeconds(10);
        return JobStatus.newBuilder()
                .setJobId(jobId)
                .setCapability(Capability.TEXT_EMBEDDING)
                .setModel("all-minilm-l6-v2-q")
                .setExpectedCount(expected)
                .setSucceeded(succeeded)
                .setFailed(failed)
                .setFailuresByCode(failuresByCode)
                .setFirstResultAt(first)
                .setLastResultAt(Instant.now())
                .setResultsPerSecond((succeeded + failed) / 10.0)
                .setState(state)
                .setUpdatedAt(Instant.now())
                .build();
    }

    @Override
    public void close() {
        producer.close();
    }
}
