package io.modelpool.worker.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigException;

/**
 * Merges the three sources of settings, lowest precedence first: a config file (YAML, nested or flat, or Java
 * properties), the environment ({@code MODELPOOL_} plus the key upper-cased with dots and dashes as underscores,
 * e.g. {@code MODELPOOL_SHUTDOWN_DRAIN_TIMEOUT_MS}), and {@code --set key=value} flags.
 *
 * <p>The environment is matched against declared keys only (an environment variable cannot name a pass-through key
 * unambiguously), except {@code MODELPOOL_KAFKA_*} and {@code MODELPOOL_SCHEMA_REGISTRY_*} variables that are not
 * declared keys: they are not read, so secrets meant for other programs never leak into the worker by accident.
 */
public final class ConfigSources {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private ConfigSources() {}

    public static Map<String, String> merge(Path file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, String> merged = new LinkedHashMap<>();
        if (file != null) {
            merged.putAll(readFile(file));
        }
        merged.putAll(fromEnvironment(environment));
        merged.putAll(flags);
        return merged;
    }

    /** The environment variable that sets a declared key. */
    public static String environmentName(String key) {
        return "MODELPOOL_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    static Map<String, String> fromEnvironment(Map<String, String> environment) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : WorkerConfig.DEFINITION.names()) {
            String value = environment.get(environmentName(key));
            if (value != null) {
                out.put(key, value);
            }
        }
        return out;
    }

    static Map<String, String> readFile(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("config file " + file + " does not exist or is not a regular file");
        }
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (InputStream in = Files.newInputStream(file)) {
            if (name.endsWith(".properties")) {
                Properties p = new Properties();
                p.load(in);
                Map<String, String> out = new LinkedHashMap<>();
                p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
                return out;
            }
            JsonNode root = YAML.readTree(in);
            Map<String, String> out = new LinkedHashMap<>();
            if (root != null && !root.isMissingNode() && !root.isNull()) {
                if (!root.isObject()) {
                    throw new ConfigException("config file " + file + " must hold a mapping of keys to values");
                }
                flatten("", root, out, file);
            }
            return out;
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    private static void flatten(String prefix, JsonNode node, Map<String, String> out, Path file) {
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            String key = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
            JsonNode v = f.getValue();
            if (v.isObject()) {
                flatten(key, v, out, file);
            } else if (v.isArray()) {
                StringBuilder sb = new StringBuilder();
                for (JsonNode item : v) {
                    if (!item.isValueNode()) {
                        throw new ConfigException(
                                key, item.toString(), "lists may hold plain values only (in " + file + ")");
                    }
                    if (sb.length() > 0) {
                        sb.append(',');
                    }
                    sb.append(item.asText());
                }
                out.put(key, sb.toString());
            } else if (v.isNull()) {
                out.put(key, "");
            } else {
                out.put(key, v.asText());
            }
        }
    }

    /** Parses {@code key=value} flags. */
    public static Map<String, String> parseFlags(Iterable<String> flags) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String flag : flags) {
            int eq = flag.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("--set expects key=value, got '" + flag + "'");
            }
            out.put(flag.substring(0, eq).trim(), flag.substring(eq + 1).trim());
        }
        return out;
    }
}
