package io.modelpool.cli;

import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Where Kafka and the schema registry are, and how to talk to them.
 *
 * @param bootstrapServers Kafka's {@code bootstrap.servers}
 * @param schemaRegistryUrl the Confluent-compatible schema registry's base URL
 * @param topicPrefix the first part of every topic name ({@code <prefix>.text-embedding.requests})
 * @param clientConfig extra Kafka client and registry settings, for example SASL or SSL; they may hold
 *     secrets, so they are never printed or logged by this module. The three settings above win over
 *     the same keys here.
 */
public record KafkaConnection(
        String bootstrapServers, String schemaRegistryUrl, String topicPrefix, Map<String, String> clientConfig) {
    public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
    public static final String DEFAULT_SCHEMA_REGISTRY_URL = "http://localhost:8081";
    public static final String DEFAULT_TOPIC_PREFIX = "modelpool";

    private static final Pattern TOPIC_PREFIX = Pattern.compile("[a-zA-Z0-9._-]{1,200}");

    public KafkaConnection {
        if (bootstrapServers == null || bootstrapServers.isBlank()) {
            throw new CliException("--bootstrap-servers must name at least one host:port");
        }
        checkRegistryUrl(schemaRegistryUrl);
        if (topicPrefix == null || !TOPIC_PREFIX.matcher(topicPrefix).matches()) {
            throw new CliException(
                    "--topic-prefix '" + topicPrefix + "' is not valid: use 1 to 200 letters, digits, '.', '_' or '-'");
        }
        clientConfig = Map.copyOf(clientConfig == null ? Map.of() : clientConfig);
    }

    /** A connection with the default topic prefix and no extra client settings. */
    public static KafkaConnection of(String bootstrapServers, String schemaRegistryUrl) {
        return new KafkaConnection(bootstrapServers, schemaRegistryUrl, DEFAULT_TOPIC_PREFIX, Map.of());
    }

    public KafkaConnection withTopicPrefix(String prefix) {
        return new KafkaConnection(bootstrapServers, schemaRegistryUrl, prefix, clientConfig);
    }

    public KafkaConnection withClientConfig(Map<String, String> config) {
        return new KafkaConnection(bootstrapServers, schemaRegistryUrl, topicPrefix, config);
    }

    /**
     * Reads a Kafka client properties file ({@code security.protocol}, {@code sasl.jaas.config}, ...).
     *
     * @throws CliException when the file is missing or unreadable; the message names the file, never its content
     */
    public static Map<String, String> loadClientConfig(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            throw new CliException("--client-config file " + file + " does not exist");
        } catch (IOException | IllegalArgumentException e) {
            throw new CliException("--client-config file " + file + " cannot be read as Java properties ("
                    + e.getClass().getSimpleName() + ")");
        }
        Map<String, String> config = new TreeMap<>();
        properties
                .stringPropertyNames()
                .forEach(key -> config.put(key, properties.getProperty(key).trim()));
        return config;
    }

    /** Where this connection points, safe to print: registry credentials are cut and client settings are not shown. */
    public String describe() {
        String extra =
                clientConfig.isEmpty() ? "" : ", " + clientConfig.size() + " client settings from --client-config";
        return "Kafka " + bootstrapServers + ", schema registry " + redactedRegistryUrl() + extra;
    }

    /** The registry URL with any {@code user:password@} removed. */
    public String redactedRegistryUrl() {
        try {
            URI uri = new URI(schemaRegistryUrl);
            if (uri.getUserInfo() == null) {
                return schemaRegistryUrl;
            }
            return new URI(uri.getScheme(), "***", uri.getHost(), uri.getPort(), uri.getPath(), null, null).toString();
        } catch (URISyntaxException e) {
            return "(unparseable URL)";
        }
    }

    private static void checkRegistryUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new CliException("--schema-registry must be an http(s) URL");
        }
        try {
            URI uri = new URI(url);
            String scheme = uri.getScheme();
            if (scheme == null || !(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
                throw new CliException("--schema-registry must be an http(s) URL with a host, for example "
                        + DEFAULT_SCHEMA_REGISTRY_URL);
            }
        } catch (URISyntaxException e) {
            throw new CliException("--schema-registry is not a valid URL: " + e.getReason());
        }
    }
}
