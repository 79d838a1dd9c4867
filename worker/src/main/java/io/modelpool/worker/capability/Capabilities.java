package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import java.util.Locale;

/** Capability names as the manifest and topics write them: TEXT_EMBEDDING is {@code text-embedding}. */
public final class Capabilities {

    private Capabilities() {}

    public static String manifestName(Capability capability) {
        return capability.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The capability for a manifest name, or {@link IllegalArgumentException} naming the allowed ones. */
    public static Capability fromManifestName(String name) {
        for (Capability c : Capability.values()) {
            if (manifestName(c).equals(name)) {
                return c;
            }
        }
        throw new IllegalArgumentException("unknown capability '" + name + "'");
    }
}
