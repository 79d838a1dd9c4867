package io.modelpool.devstack.registry;

import java.time.Duration;
import java.util.Objects;

/**
 * What a {@link SchemaRegistryServer} is started with.
 *
 * @param bootstrapServers the Kafka cluster that holds the schema store topic
 * @param host             address to listen on ({@value #DEFAULT_HOST} by default: this is a development registry
 *                         without authentication)
 * @param port             HTTP port; 0 picks a free one
 * @param topic            the compacted store topic; registry instances that share it share ids
 * @param storeTimeout     bound on every wait for Kafka within one request; beyond it the request fails with 50001
 */
public record RegistrySettings(String bootstrapServers, String host, int port, String topic, Duration storeTimeout) {

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final String DEFAULT_TOPIC = "_schemas";
    public static final Duration DEFAULT_STORE_TIMEOUT = Duration.ofSeconds(10);

    public RegistrySettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(storeTimeout, "storeTimeout");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException(
                    "registry port must be within 0..65535 (0 = any free port), got " + port);
        }
        if (topic.isBlank()) {
            throw new IllegalArgumentException("registry topic must not be blank");
        }
        if (storeTimeout.isNegative() || storeTimeout.isZero() || storeTimeout.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(
                    "registry storeTimeout must be positive and under 2^31 ms, got " + storeTimeout);
        }
    }

    /** Listens on 127.0.0.1, stores in {@value #DEFAULT_TOPIC}, waits at most 10 s for Kafka per request. */
    public static RegistrySettings defaults(String bootstrapServers, int port) {
        return new RegistrySettings(bootstrapServers, DEFAULT_HOST, port, DEFAULT_TOPIC, DEFAULT_STORE_TIMEOUT);
    }

    public RegistrySettings withStoreTimeout(Duration timeout) {
        return new RegistrySettings(bootstrapServers, host, port, topic, timeout);
    }

    public RegistrySettings withTopic(String storeTopic) {
        return new RegistrySettings(bootstrapServers, host, port, storeTopic, storeTimeout);
    }
}
