package io.modelpool.cli.command;

import io.modelpool.cli.KafkaConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import picocli.CommandLine.Option;

/** Where Kafka and the schema registry are; shared by every command. */
public final class ConnectionOptions {

    @Option(
            names = "--bootstrap-servers",
            paramLabel = "HOST:PORT[,...]",
            defaultValue = "${env:MODELPOOL_BOOTSTRAP_SERVERS:-" + KafkaConnection.DEFAULT_BOOTSTRAP_SERVERS + "}",
            description = "Kafka bootstrap servers (env MODELPOOL_BOOTSTRAP_SERVERS; default: ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(
            names = "--schema-registry",
            paramLabel = "URL",
            defaultValue = "${env:MODELPOOL_SCHEMA_REGISTRY_URL:-" + KafkaConnection.DEFAULT_SCHEMA_REGISTRY_URL + "}",
            description = "Schema registry URL (env MODELPOOL_SCHEMA_REGISTRY_URL; default: ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(
            names = "--topic-prefix",
            paramLabel = "PREFIX",
            defaultValue = KafkaConnection.DEFAULT_TOPIC_PREFIX,
            description =
                    "First part of every topic name, as in PREFIX.text-embedding.requests (default: ${DEFAULT-VALUE}).")
    String topicPrefix;

    @Option(
            names = "--client-config",
            paramLabel = "FILE",
            description = "Kafka client properties (SASL, SSL, registry credentials). Never printed.")
    Path clientConfig;

    @Option(
            names = "--connect-timeout",
            paramLabel = "DURATION",
            defaultValue = "30s",
            converter = DurationConverter.class,
            description = "How long to wait for Kafka before giving up (default: ${DEFAULT-VALUE}).")
    Duration connectTimeout;

    /** The connection these flags describe; reads the client config file if one was named. */
    public KafkaConnection toConnection() {
        Map<String, String> extra = clientConfig == null ? Map.of() : KafkaConnection.loadClientConfig(clientConfig);
        return new KafkaConnection(bootstrapServers, schemaRegistryUrl, topicPrefix, extra);
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }
}
