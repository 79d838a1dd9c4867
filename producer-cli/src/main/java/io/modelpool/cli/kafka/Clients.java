package io.modelpool.cli.kafka;

import io.modelpool.cli.KafkaConnection;
import io.modelpool.schemas.serde.AvroSerdeConfig;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.TextEmbeddingResult;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Builds the command's Kafka clients from a {@link KafkaConnection}. The connection's client settings go
 * in first and the explicit bootstrap servers and registry URL win over them; the settings this module
 * relies on for correctness (acks, idempotence, manual assignment) are set last and cannot be overridden.
 */
public final class Clients {
    /** Producer batching: wait up to 20 ms to fill batches of up to 256 KiB. */
    static final int LINGER_MS = 20;

    static final int BATCH_SIZE = 256 * 1024;
    /**
     * Result fetching: the broker answers a fetch once 256 KiB of results (about 150 vectors of 384 floats) are
     * there or 100 ms have passed, instead of once per batch the worker publishes (every 20 ms or so). Fewer fetch
     * round trips cost the command and the broker less CPU, on the cores that inference needs when they share a
     * machine; a result waits at most 100 ms longer.
     */
    static final int RESULT_FETCH_MIN_BYTES = 256 * 1024;

    static final int RESULT_FETCH_MAX_WAIT_MS = 100;

    private Clients() {}

    /**
     * An idempotent, batching producer ({@code acks=all}) with string keys and Confluent-Avro values.
     * {@code send} blocks at most {@code maxBlock} for metadata or buffer space.
     */
    public static Producer<String, SpecificRecord> producer(
            KafkaConnection connection, Duration maxBlock, String clientId) {
        Map<String, Object> config = common(connection, clientId);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, LINGER_MS);
        config.putIfAbsent(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_SIZE);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, maxBlock.toMillis());
        Serializer<SpecificRecord> values = ConfluentAvroSerde.specificSerializer(SpecificRecord.class, config, false);
        try {
            return new KafkaProducer<>(config, new StringSerializer(), values);
        } catch (KafkaException e) {
            values.close();
            throw KafkaFailures.translate("starting the producer", e, connection, maxBlock);
        }
    }

    /** A consumer of text-embedding results without a group: the caller assigns partitions and never commits. */
    public static Consumer<String, TextEmbeddingResult> resultConsumer(
            KafkaConnection connection, Duration apiTimeout, String clientId) {
        Map<String, Object> config = common(connection, clientId);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.putIfAbsent(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, RESULT_FETCH_MIN_BYTES);
        config.putIfAbsent(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, RESULT_FETCH_MAX_WAIT_MS);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(
                ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, apiTimeout.toMillis()));
        Deserializer<TextEmbeddingResult> values =
                ConfluentAvroSerde.specificDeserializer(TextEmbeddingResult.class, config, false);
        try {
            return new KafkaConsumer<>(config, new StringDeserializer(), values);
        } catch (KafkaException e) {
            values.close();
            throw KafkaFailures.translate("starting the consumer", e, connection, apiTimeout);
        }
    }

    /**
     * Which of {@code topics} do not exist.
     *
     * @throws KafkaException when Kafka does not answer within {@code timeout}
     */
    public static Set<String> missingTopics(KafkaConnection connection, Collection<String> topics, Duration timeout) {
        Map<String, Object> config = common(connection, "modelpool-cli-admin");
        int millis = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        Set<String> missing = new HashSet<>();
        try (Admin admin = Admin.create(config)) {
            Map<String, KafkaFuture<TopicDescription>> described = admin.describeTopics(
                            topics, new DescribeTopicsOptions().timeoutMs(millis))
                    .topicNameValues();
            for (Map.Entry<String, KafkaFuture<TopicDescription>> entry : described.entrySet()) {
                try {
                    entry.getValue().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                        missing.add(entry.getKey());
                    } else if (e.getCause() instanceof KafkaException k) {
                        throw k;
                    } else {
                        throw new KafkaException(e.getCause());
                    }
                } catch (java.util.concurrent.TimeoutException e) {
                    throw new org.apache.kafka.common.errors.TimeoutException(
                            "no answer about topic " + entry.getKey(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptException(e);
                }
            }
        }
        return missing;
    }

    /** Client settings, then the connection's explicit servers and registry on top, then the client id. */
    static Map<String, Object> common(KafkaConnection connection, String clientId) {
        Map<String, Object> config = new HashMap<>(connection.clientConfig());
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, connection.bootstrapServers());
        config.put(AvroSerdeConfig.SCHEMA_REGISTRY_URL, connection.schemaRegistryUrl());
        config.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return config;
    }
}
