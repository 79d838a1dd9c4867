package io.modelpool.cli;

import io.modelpool.devstack.DevStack;
import io.modelpool.devstack.SharedDevStack;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.TextEmbeddingRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/** A fresh set of modelpool topics on the shared devstack, so that tests never see each other's records. */
final class TestTopics {
    final String prefix;
    final DevStack stack;

    private TestTopics(String prefix, DevStack stack) {
        this.prefix = prefix;
        this.stack = stack;
    }

    /**
     * Creates {@code <prefix>.text-embedding.requests|requests.bulk|results} (3 partitions each) and
     * {@code <prefix>.jobs}, as a worker does.
     */
    static TestTopics create() {
        DevStack stack = SharedDevStack.get();
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
        stack.createTopics(Map.of(
                Topics.requests(prefix, Capability.TEXT_EMBEDDING), 3,
                Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING), 3,
                Topics.results(prefix, Capability.TEXT_EMBEDDING), 3,
                Topics.jobs(prefix), 1));
        return new TestTopics(prefix, stack);
    }

    /** Topics as a fleet whose workers predate the bulk request topic created them: no {@code .bulk} topic. */
    static TestTopics createWithoutBulkTopic() {
        DevStack stack = SharedDevStack.get();
        String prefix = "t" + UUID.randomUUID().toString().substring(0, 8);
        stack.createTopics(Map.of(
                Topics.requests(prefix, Capability.TEXT_EMBEDDING), 3,
                Topics.results(prefix, Capability.TEXT_EMBEDDING), 3,
                Topics.jobs(prefix), 1));
        return new TestTopics(prefix, stack);
    }

    KafkaConnection connection() {
        return KafkaConnection.of(stack.bootstrapServers(), stack.schemaRegistryUrl())
                .withTopicPrefix(prefix);
    }

    /** The connection flags of the {@code modelpool} command for these topics. */
    List<String> connectionArgs() {
        return List.of(
                "--bootstrap-servers",
                stack.bootstrapServers(),
                "--schema-registry",
                stack.schemaRegistryUrl(),
                "--topic-prefix",
                prefix);
    }

    TestResponder respond(TestResponder.Mode mode) {
        return TestResponder.start(stack.clientConfig(), prefix, mode);
    }

    List<JobRegistration> registrations() {
        return readAll(Topics.jobs(prefix), JobRegistration.class);
    }

    /** The requests jobs produced: those on the bulk request topic. */
    List<TextEmbeddingRequest> requests() {
        return readAll(Topics.bulkRequests(prefix, Capability.TEXT_EMBEDDING), TextEmbeddingRequest.class);
    }

    /** The requests on the interactive request topic. */
    List<TextEmbeddingRequest> interactiveRequests() {
        return readAll(Topics.requests(prefix, Capability.TEXT_EMBEDDING), TextEmbeddingRequest.class);
    }

    /** Every record on {@code topic} up to its current end. */
    private <T extends SpecificRecord> List<T> readAll(String topic, Class<T> type) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        List<T> values = new ArrayList<>();
        try (KafkaConsumer<String, T> consumer = new KafkaConsumer<>(
                config, new StringDeserializer(), ConfluentAvroSerde.specificDeserializer(type, config, false))) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Function<TopicPartition, Boolean> done = p -> consumer.position(p) >= ends.get(p);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!partitions.stream().allMatch(done::apply) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, T> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
