package io.modelpool.devstack.registry;

import io.modelpool.devstack.registry.StoreRecord.ConfigCleared;
import io.modelpool.devstack.registry.StoreRecord.ConfigSet;
import io.modelpool.devstack.registry.StoreRecord.SchemaErased;
import io.modelpool.devstack.registry.StoreRecord.SchemaRegistered;
import io.modelpool.devstack.registry.StoreRecord.SoftDeleteErased;
import io.modelpool.devstack.registry.StoreRecord.VersionSoftDeleted;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The registry's state: what applying the store's records in log order gives.
 *
 * <p>Every registry instance reads the same log, applies the same rules and so reaches the same state; that is
 * how instances agree without talking to each other. The rules settle races by log order, first writer wins.
 * A {@link SchemaRegistered} is applied only if it contradicts nothing applied before it:
 * <ul>
 *   <li>its id is free or already names the same schema (one id, one schema);</li>
 *   <li>its schema has no other id (one schema, one id, across subjects);</li>
 *   <li>its subject has no other registration at that version;</li>
 *   <li>its subject does not hold the same schema live under another version.</li>
 * </ul>
 * A registration that breaks a rule lost a race with one that reached the log earlier; it is ignored here, and
 * its writer erases it with a tombstone and tries again against the state it now sees.
 *
 * <p>Not thread-safe, but for {@link #schema(int)}: the owner ({@link RegistryService}) applies and reads under
 * its lock, except lookups by id, which read the id map (a concurrent map) without it.
 */
final class RegistryState {

    /** One version of a subject. */
    record Version(String subject, int version, int id, String schema, boolean deleted) {}

    private final Map<Integer, String> schemaById = new ConcurrentHashMap<>();
    private final Map<String, Integer> idBySchema = new HashMap<>();
    private final Map<String, NavigableMap<Integer, Version>> subjects = new TreeMap<>();
    private final Map<String, CompatibilityLevel> subjectLevels = new HashMap<>();
    private CompatibilityLevel globalLevel = CompatibilityLevel.DEFAULT;
    private int maxId;

    /** Applies one record; records that lost a race change nothing. */
    void apply(StoreRecord record) {
        if (record instanceof SchemaRegistered r) {
            register(r);
        } else if (record instanceof SchemaErased r) {
            erase(r);
        } else if (record instanceof VersionSoftDeleted r) {
            Version v = version(r.subject(), r.version()).orElse(null);
            if (v != null && v.id() == r.id()) {
                subjects.get(r.subject())
                        .put(r.version(), new Version(v.subject(), v.version(), v.id(), v.schema(), true));
            }
        } else if (record instanceof SoftDeleteErased) {
            // The version itself goes with its SchemaErased; the marker's tombstone only frees its key.
            return;
        } else if (record instanceof ConfigSet r) {
            if (r.subject() == null) {
                globalLevel = r.level();
            } else {
                subjectLevels.put(r.subject(), r.level());
            }
        } else if (record instanceof ConfigCleared r) {
            if (r.subject() == null) {
                globalLevel = CompatibilityLevel.DEFAULT;
            } else {
                subjectLevels.remove(r.subject());
            }
        }
    }

    private void register(SchemaRegistered r) {
        String boundSchema = schemaById.get(r.id());
        if (boundSchema != null && !boundSchema.equals(r.schema())) {
            return;
        }
        Integer boundId = idBySchema.get(r.schema());
        if (boundId != null && boundId != r.id()) {
            return;
        }
        NavigableMap<Integer, Version> versions = subjects.get(r.subject());
        if (versions != null) {
            if (versions.containsKey(r.version())) {
                return;
            }
            for (Version v : versions.values()) {
                if (!v.deleted() && v.schema().equals(r.schema())) {
                    return;
                }
            }
        }
        subjects.computeIfAbsent(r.subject(), s -> new TreeMap<>())
                .put(r.version(), new Version(r.subject(), r.version(), r.id(), r.schema(), false));
        schemaById.put(r.id(), r.schema());
        idBySchema.put(r.schema(), r.id());
        maxId = Math.max(maxId, r.id());
    }

    private void erase(SchemaErased r) {
        NavigableMap<Integer, Version> versions = subjects.get(r.subject());
        if (versions == null) {
            return;
        }
        Version v = versions.get(r.version());
        if (v == null
                || v.id() != r.id()
                || !StoreRecord.fingerprint(v.schema()).equals(r.fingerprint())) {
            return;
        }
        versions.remove(r.version());
        if (versions.isEmpty()) {
            subjects.remove(r.subject());
        }
        if (!referenced(v.id())) {
            schemaById.remove(v.id());
            idBySchema.remove(v.schema());
        }
    }

    private boolean referenced(int id) {
        for (NavigableMap<Integer, Version> versions : subjects.values()) {
            for (Version v : versions.values()) {
                if (v.id() == id) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the subject has any version, live or soft-deleted. */
    boolean hasSubject(String subject) {
        return subjects.containsKey(subject);
    }

    /** The subject's versions in ascending order, soft-deleted ones only when asked. */
    List<Version> versions(String subject, boolean includeDeleted) {
        NavigableMap<Integer, Version> versions = subjects.get(subject);
        if (versions == null) {
            return List.of();
        }
        List<Version> result = new ArrayList<>();
        for (Version v : versions.values()) {
            if (includeDeleted || !v.deleted()) {
                result.add(v);
            }
        }
        return result;
    }

    Optional<Version> version(String subject, int version) {
        NavigableMap<Integer, Version> versions = subjects.get(subject);
        return versions == null ? Optional.empty() : Optional.ofNullable(versions.get(version));
    }

    /** The highest version number the subject has used, soft-deleted versions included; 0 if none. */
    int maxVersion(String subject) {
        NavigableMap<Integer, Version> versions = subjects.get(subject);
        return versions == null || versions.isEmpty() ? 0 : versions.lastKey();
    }

    /** Subjects in name order, those with only soft-deleted versions only when asked. */
    List<String> subjects(boolean includeDeleted) {
        List<String> result = new ArrayList<>();
        for (Map.Entry<String, NavigableMap<Integer, Version>> e : subjects.entrySet()) {
            if (includeDeleted || e.getValue().values().stream().anyMatch(v -> !v.deleted())) {
                result.add(e.getKey());
            }
        }
        return result;
    }

    /** The schema an id names; may be called without the owner's lock, concurrently with {@link #apply}. */
    Optional<String> schema(int id) {
        return Optional.ofNullable(schemaById.get(id));
    }

    Optional<Integer> id(String canonicalSchema) {
        return Optional.ofNullable(idBySchema.get(canonicalSchema));
    }

    /** Every subject version that uses the id, in subject then version order. */
    List<Version> usesOf(int id, boolean includeDeleted) {
        List<Version> result = new ArrayList<>();
        for (NavigableMap<Integer, Version> versions : subjects.values()) {
            for (Version v : versions.values()) {
                if (v.id() == id && (includeDeleted || !v.deleted())) {
                    result.add(v);
                }
            }
        }
        return result;
    }

    /** The highest id ever applied in this instance's reading of the log; 0 if none. */
    int maxId() {
        return maxId;
    }

    CompatibilityLevel globalLevel() {
        return globalLevel;
    }

    Optional<CompatibilityLevel> subjectLevel(String subject) {
        return Optional.ofNullable(subjectLevels.get(subject));
    }

    CompatibilityLevel effectiveLevel(String subject) {
        return subjectLevels.getOrDefault(subject, globalLevel);
    }

    /** Ids in use, ascending; for tests and diagnostics. */
    Collection<Integer> ids() {
        return new TreeSet<>(schemaById.keySet());
    }
}
