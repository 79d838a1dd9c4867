package io.modelpool.devstack.registry;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * Confluent's compatibility levels, checked with Avro's own {@link SchemaCompatibility}.
 *
 * <p>BACKWARD: the new schema reads data written with the previous one (consumers upgrade first). FORWARD: the
 * previous schema reads data written with the new one (producers upgrade first). FULL: both. The plain levels
 * compare with the latest live version only; the {@code _TRANSITIVE} ones with every live version.
 */
public enum CompatibilityLevel {
    NONE(false, false, false),
    BACKWARD(true, false, false),
    BACKWARD_TRANSITIVE(true, false, true),
    FORWARD(false, true, false),
    FORWARD_TRANSITIVE(false, true, true),
    FULL(true, true, false),
    FULL_TRANSITIVE(true, true, true);

    /** The level of a registry that nobody configured, as in Confluent. */
    public static final CompatibilityLevel DEFAULT = BACKWARD;

    private final boolean backward;
    private final boolean forward;
    private final boolean transitive;

    CompatibilityLevel(boolean backward, boolean forward, boolean transitive) {
        this.backward = backward;
        this.forward = forward;
        this.transitive = transitive;
    }

    /** Parses a level as Confluent accepts it (any case). */
    public static CompatibilityLevel parse(String text) {
        if (text == null) {
            throw RegistryException.invalidCompatibilityLevel("null");
        }
        try {
            return valueOf(text.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw RegistryException.invalidCompatibilityLevel(text);
        }
    }

    /**
     * Checks a candidate against the live versions of a subject at this level.
     *
     * @param existingNewestFirst live versions, the latest first
     * @return why the candidate is incompatible; empty when it is compatible
     */
    List<String> incompatibilities(Schema candidate, List<Schema> existingNewestFirst) {
        if (this == NONE || existingNewestFirst.isEmpty()) {
            return List.of();
        }
        List<Schema> against = transitive ? existingNewestFirst : existingNewestFirst.subList(0, 1);
        return incompatibilitiesWithEach(candidate, against);
    }

    /** Checks a candidate against each given schema in this level's directions, transitive or not. */
    List<String> incompatibilitiesWithEach(Schema candidate, List<Schema> others) {
        List<String> problems = new ArrayList<>();
        for (Schema other : others) {
            if (backward) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(candidate, other), "BACKWARD", problems);
            }
            if (forward) {
                describe(SchemaCompatibility.checkReaderWriterCompatibility(other, candidate), "FORWARD", problems);
            }
        }
        return problems;
    }

    private static void describe(
            SchemaCompatibility.SchemaPairCompatibility pair, String direction, List<String> problems) {
        if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : pair.getResult().getIncompatibilities()) {
            problems.add("{direction:" + direction
                    + ", type:" + incompatibility.getType()
                    + ", location:" + incompatibility.getLocation()
                    + ", message:" + incompatibility.getMessage() + "}");
        }
    }
}
