package io.modelpool.worker.capability.image;

import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one model's {@code parameters} map for an image family: every getter checks type and range, and a
 * bad value throws {@link ManifestException} naming the model key, the parameter, the value and what is
 * allowed.
 */
public final class FamilyParameters {

    private final Map<String, Object> values;
    private final String where;

    /** @throws ManifestException when the map holds a parameter not in {@code known} */
    public FamilyParameters(ModelDefinition model, String family, Set<String> known) {
        this.values = model.parameters();
        this.where = "model '" + model.key() + "': parameters.";
        for (String name : values.keySet()) {
            if (!known.contains(name)) {
                throw new ManifestException(where + name + " is unknown for family " + family + "; allowed: "
                        + String.join("|", new TreeSet<>(known)));
            }
        }
    }

    /** A model file location ({@code classpath:} or {@code file:}), required. */
    public String location(String name) {
        Object v = values.get(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ManifestException(
                    where + name + " = " + quote(v) + " is invalid; allowed: classpath:<resource> or file:<path>");
        }
        return s;
    }

    /** A required non-empty string, such as a tensor name. */
    public String required(String name) {
        Object v = values.get(name);
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ManifestException(where + name + " = " + quote(v) + " is invalid; allowed: a non-empty string");
        }
        return s;
    }

    /** An optional string, or {@code fallback}. */
    public String text(String name, String fallback) {
        Object v = values.get(name);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof String s) || s.isBlank()) {
            throw new ManifestException(where + name + " = " + quote(v) + " is invalid; allowed: a non-empty string");
        }
        return s;
    }

    /** One of {@code allowed} (case-insensitive), or {@code fallback}. */
    public String choice(String name, String fallback, List<String> allowed) {
        Object v = values.getOrDefault(name, fallback);
        String s = String.valueOf(v).toLowerCase(Locale.ROOT);
        if (!allowed.contains(s)) {
            throw new ManifestException(
                    where + name + " = " + quote(v) + " is invalid; allowed: " + String.join("|", allowed));
        }
        return s;
    }

    /** An integer in [min, max], or {@code fallback}; a null fallback makes the parameter required. */
    public int integer(String name, Integer fallback, int min, int max) {
        Object v = values.getOrDefault(name, fallback);
        if (!(v instanceof Integer i) || i < min || i > max) {
            throw new ManifestException(
                    where + name + " = " + quote(v) + " is invalid; allowed: an integer from " + min + " to " + max);
        }
        return i;
    }

    public double number(String name, double fallback, double min, double max) {
        Object v = values.getOrDefault(name, fallback);
        if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw new ManifestException(
                    where + name + " = " + quote(v) + " is invalid; allowed: a number from " + min + " to " + max);
        }
        return n.doubleValue();
    }

    public boolean flag(String name, boolean fallback) {
        Object v = values.getOrDefault(name, fallback);
        if (!(v instanceof Boolean b)) {
            throw new ManifestException(where + name + " = " + quote(v) + " is invalid; allowed: true|false");
        }
        return b;
    }

    /** A list of exactly {@code size} numbers, or {@code fallback}; each must pass {@code positive} if asked. */
    public float[] numbers(String name, float[] fallback, int size, boolean positive) {
        Object v = values.get(name);
        if (v == null) {
            return fallback.clone();
        }
        String allowed = "; allowed: a list of " + size + (positive ? " positive" : "") + " numbers";
        if (!(v instanceof List<?> list) || list.size() != size) {
            throw new ManifestException(where + name + " = " + quote(v) + " is invalid" + allowed);
        }
        float[] out = new float[size];
        for (int i = 0; i < size; i++) {
            if (!(list.get(i) instanceof Number n)
                    || !Double.isFinite(n.doubleValue())
                    || (positive && n.doubleValue() <= 0)) {
                throw new ManifestException(where + name + " = " + quote(v) + " is invalid" + allowed);
            }
            out[i] = n.floatValue();
        }
        return out;
    }

    private static String quote(Object v) {
        return v == null ? "null" : "'" + v + "'";
    }
}
