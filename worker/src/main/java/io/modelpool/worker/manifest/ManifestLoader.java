package io.modelpool.worker.manifest;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads and validates a manifest. Locations are {@code classpath:path/in/jar.yaml}, {@code file:/path} or a
 * plain file path. Every problem found stops start-up with a {@link ManifestException} whose message names
 * the model key, the setting, the value and what is allowed; all problems are listed at once.
 */
public final class ManifestLoader {

    /** The manifest shipped in the worker jar. */
    public static final String DEFAULT_LOCATION = "classpath:modelpool/models.yaml";

    /** The capability names a manifest may use. */
    public static final Set<String> CAPABILITIES =
            Set.of("text-embedding", "text-to-text", "image-embedding", "vision", "text-to-image");

    private static final Pattern KEY = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    private ManifestLoader() {}

    /** Loads the default manifest from the worker jar. */
    public static ModelManifest loadDefault() {
        return load(DEFAULT_LOCATION);
    }

    /** Loads and validates the manifest at {@code location}. */
    public static ModelManifest load(String location) {
        try (InputStream in = open(location)) {
            return parse(in, location);
        } catch (IOException e) {
            throw new ManifestException("cannot read model manifest " + location + ": " + e.getMessage(), e);
        }
    }

    /** Parses and validates YAML text; {@code origin} names it in messages. */
    public static ModelManifest parse(String yaml, String origin) {
        try {
            return validate(YAML.readValue(yaml, ModelManifest.class), origin);
        } catch (IOException e) {
            throw parseError(e, origin);
        }
    }

    static ModelManifest parse(InputStream in, String origin) {
        try {
            return validate(YAML.readValue(in, ModelManifest.class), origin);
        } catch (IOException e) {
            throw parseError(e, origin);
        }
    }

    /** Opens a {@code classpath:}, {@code file:} or plain-path resource. */
    public static InputStream open(String location) throws IOException {
        if (location.startsWith("classpath:")) {
            String name = location.substring("classpath:".length());
            name = name.startsWith("/") ? name.substring(1) : name;
            InputStream in = Thread.currentThread().getContextClassLoader() == null
                    ? null
                    : Thread.currentThread().getContextClassLoader().getResourceAsStream(name);
            if (in == null) {
                in = ManifestLoader.class.getClassLoader().getResourceAsStream(name);
            }
            if (in == null) {
                throw new IOException("no classpath resource '" + name + "'");
            }
            return in;
        }
        String path = location.startsWith("file:") ? location.substring("file:".length()) : location;
        return Files.newInputStream(Path.of(path));
    }

    /** Applies the validation rules to an already parsed manifest. */
    public static ModelManifest validate(ModelManifest manifest, String origin) {
        List<String> problems = new ArrayList<>();
        RequestLimits limits = manifest.limits();
        positive(problems, "limits", "max-inputs-per-request", limits.maxInputsPerRequest());
        positive(problems, "limits", "max-input-bytes", limits.maxInputBytes());
        positive(problems, "limits", "max-image-bytes", limits.maxImageBytes());
        if (limits.maxImagePixels() < 1) {
            problems.add("limits: max-image-pixels = " + limits.maxImagePixels() + " is invalid; allowed: >= 1");
        }
        if (manifest.models().isEmpty()) {
            problems.add("models: the manifest lists no models; allowed: at least one");
        }
        Set<String> keys = new HashSet<>();
        for (int i = 0; i < manifest.models().size(); i++) {
            ModelDefinition m = manifest.models().get(i);
            if (m == null) {
                problems.add("models[" + i + "]: empty entry");
                continue;
            }
            String where = m.key() == null ? "models[" + i + "]" : "model '" + m.key() + "'";
            if (m.key() == null || !KEY.matcher(m.key()).matches()) {
                problems.add(where + ": key = " + quote(m.key())
                        + " is invalid; allowed: 1-100 of a-z 0-9 . _ - starting with a letter or digit");
            } else if (!keys.add(m.key())) {
                problems.add(where + ": key is listed twice; allowed: unique keys");
            }
            if (m.capability() == null || !CAPABILITIES.contains(m.capability())) {
                problems.add(where + ": capability = " + quote(m.capability()) + " is invalid; allowed: "
                        + String.join("|", CAPABILITIES.stream().sorted().toList()));
            }
            if (m.family() == null || m.family().isBlank()) {
                problems.add(where + ": family is missing; allowed: a family name such as encoder-embedding");
            }
            if (m.source() == null || m.source().isBlank()) {
                problems.add(where + ": source is missing; allowed: classpath:<resource> or file:<path>");
            }
            positive(problems, where, "workers", m.workers());
            positive(problems, where, "min-workers", m.minWorkers());
            if (m.minWorkers() != null
                    && m.workers() != null
                    && m.maxWorkers() != null
                    && (m.minWorkers() > m.workers() || m.workers() > m.maxWorkers())) {
                problems.add(where + ": min-workers = " + m.minWorkers() + ", workers = " + m.workers()
                        + ", max-workers = " + m.maxWorkers() + " are invalid; allowed: min-workers <= workers <= "
                        + "max-workers");
            }
            if (!(m.sizeFactor() > 0) || m.sizeFactor().isInfinite()) {
                problems.add(where + ": size-factor = " + m.sizeFactor() + " is invalid; allowed: a number > 0");
            }
            if (m.idleUnload() != null) {
                try {
                    Durations.parse(m.idleUnload());
                } catch (IllegalArgumentException e) {
                    problems.add(where + ": idle-unload = " + e.getMessage());
                }
            }
            BatchSpec b = m.batch();
            positive(problems, where, "batch.max-items", b.maxItems());
            positive(problems, where, "batch.max-tokens", b.maxTokens());
            positive(problems, where, "batch.queue-capacity", b.queueCapacity());
            if (b.sortWindow() < b.maxItems()) {
                problems.add(where + ": batch.sort-window = " + b.sortWindow()
                        + " is invalid; allowed: >= batch.max-items (" + b.maxItems() + ")");
            }
            try {
                Durations.parse(b.maxDelay());
            } catch (IllegalArgumentException e) {
                problems.add(where + ": batch.max-delay = " + e.getMessage());
            }
            if (b.queueCapacity() < limits.maxInputsPerRequest()) {
                problems.add(where + ": batch.queue-capacity = " + b.queueCapacity()
                        + " is invalid; allowed: >= limits.max-inputs-per-request ("
                        + limits.maxInputsPerRequest() + "), so a full request always fits an empty queue");
            }
            SessionSpec s = m.session();
            positive(problems, where, "session.intra-op-threads", s.intraOpThreads());
            positive(problems, where, "session.inter-op-threads", s.interOpThreads());
            if (!SessionSpec.OPTIMIZATION_LEVELS.contains(s.optimizationLevel())) {
                problems.add(where + ": session.optimization-level = " + quote(s.optimizationLevel())
                        + " is invalid; allowed: disabled|basic|extended|all");
            }
            if (!SessionSpec.EXECUTION_MODES.contains(s.executionMode())) {
                problems.add(where + ": session.execution-mode = " + quote(s.executionMode())
                        + " is invalid; allowed: sequential|parallel");
            }
        }
        if (!problems.isEmpty()) {
            throw new ManifestException("invalid model manifest " + origin + ": " + String.join("; ", problems));
        }
        return manifest;
    }

    private static void positive(List<String> problems, String where, String name, Integer value) {
        if (value == null || value < 1) {
            problems.add(where + ": " + name + " = " + value + " is invalid; allowed: >= 1");
        }
    }

    private static String quote(String s) {
        return s == null ? "null" : "'" + s + "'";
    }

    private static ManifestException parseError(IOException e, String origin) {
        if (e instanceof UnrecognizedPropertyException u) {
            return new ManifestException(
                    "invalid model manifest " + origin + ": unknown setting '"
                            + u.getPropertyName() + "' at " + u.getPathReference() + "; allowed: "
                            + u.getKnownPropertyIds(),
                    e);
        }
        return new ManifestException("cannot parse model manifest " + origin + ": " + e.getMessage(), e);
    }
}
