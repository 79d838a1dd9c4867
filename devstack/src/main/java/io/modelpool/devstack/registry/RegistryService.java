package io.modelpool.devstack.registry;

import io.modelpool.devstack.registry.RegistryState.Version;
import io.modelpool.devstack.registry.StoreRecord.ConfigCleared;
import io.modelpool.devstack.registry.StoreRecord.ConfigSet;
import io.modelpool.devstack.registry.StoreRecord.SchemaErased;
import io.modelpool.devstack.registry.StoreRecord.SchemaRegistered;
import io.modelpool.devstack.registry.StoreRecord.SoftDeleteErased;
import io.modelpool.devstack.registry.StoreRecord.VersionSoftDeleted;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's operations, in Confluent Schema Registry's terms, over the Kafka-backed store.
 *
 * <p>Each operation first reads the store to its end, so it answers from everything any instance wrote before
 * the request arrived. Writes are appended and read back before the answer; a registration that loses a race
 * with another instance (see {@link RegistryState}) is erased and retried, at most {@value #MAX_ATTEMPTS}
 * times.
 *
 * <p>Schema ids are global and immutable, so a lookup by id is answered as Confluent's registry answers it: an id
 * this instance knows comes from memory, without the store. Only an id it does not know needs the store, and those
 * lookups share their catch-ups through {@link CatchUps}: one catch-up in flight serves every lookup that arrived
 * before it began, so a flood of unknown ids costs one broker round trip per batch of waiting lookups rather than one
 * each. A lookup that misses after its catch-up is a 404 with error code 40403. An id permanently deleted through
 * another instance is still answered here until this instance next reads the store.
 *
 * <p>Thread safety: every other operation is serialised by one lock, taken with the store timeout; a request that
 * cannot get it in time fails with 50001 rather than queueing without bound.
 */
final class RegistryService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RegistryService.class);
    private static final int MAX_ATTEMPTS = 10;

    /** A subject and version that use a schema id. */
    record SubjectVersion(String subject, int version) {}

    /** The answer to a compatibility check. */
    record CompatibilityResult(boolean compatible, List<String> messages) {}

    private final RegistryState state = new RegistryState();
    private final KafkaSchemaStore store;
    private final Duration timeout;
    private final ReentrantLock lock = new ReentrantLock();
    private final CatchUps idCatchUps;

    RegistryService(String bootstrapServers, String topic, Duration timeout) {
        this.timeout = timeout;
        KafkaSchemaStore.ensureTopic(bootstrapServers, topic, timeout);
        this.store = new KafkaSchemaStore(bootstrapServers, topic, timeout, state::apply);
        this.idCatchUps = new CatchUps(
                () -> locked(() -> {
                    store.catchUp();
                    return null;
                }),
                timeout,
                "schema-registry-" + topic + "-catch-up");
        locked(() -> {
            store.catchUp();
            return null;
        });
    }

    /**
     * Registers a schema under a subject and returns its id. A schema already live under the subject keeps its
     * version and id; a schema known under another subject keeps its id.
     */
    int register(String subject, String schemaText) {
        Schema schema = parse(schemaText);
        String canonical = schema.toString();
        return locked(() -> {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                store.catchUp();
                Optional<Version> existing = liveVersionOf(subject, canonical);
                if (existing.isPresent()) {
                    return existing.get().id();
                }
                CompatibilityLevel level = state.effectiveLevel(subject);
                List<String> problems = level.incompatibilities(schema, liveSchemasNewestFirst(subject));
                if (!problems.isEmpty()) {
                    throw RegistryException.incompatible("Schema being registered is incompatible with an earlier"
                            + " schema for subject \"" + subject + "\", details: " + problems);
                }
                int id = state.id(canonical).orElse(state.maxId() + 1);
                int version = state.maxVersion(subject) + 1;
                SchemaRegistered proposal = new SchemaRegistered(subject, version, id, canonical);
                store.append(proposal);
                if (settled(proposal)) {
                    log.info("Registered schema id {} as version {} of subject {}", id, version, subject);
                    return id;
                }
                // Another instance's registration reached the log first. Before clearing ours, so that it can never
                // resurface, make sure an identical proposal (same key) from another instance was not accepted since.
                store.catchUp();
                if (settled(proposal)) {
                    return id;
                }
                store.append(new SchemaErased(subject, version, id, proposal.fingerprint()));
                log.debug("Registration of subject {} version {} id {} lost a race; retrying", subject, version, id);
            }
            throw RegistryException.storeError(
                    "registration of subject " + subject + " lost " + MAX_ATTEMPTS
                            + " races with other registry instances",
                    null);
        });
    }

    private boolean settled(SchemaRegistered proposal) {
        Optional<Version> v = state.version(proposal.subject(), proposal.version());
        return v.isPresent()
                && v.get().id() == proposal.id()
                && v.get().schema().equals(proposal.schema());
    }

    /** The version of a subject that holds this schema. */
    Version lookup(String subject, String schemaText, boolean includeDeleted) {
        String canonical = parse(schemaText).toString();
        return locked(() -> {
            store.catchUp();
            if (!state.hasSubject(subject)) {
                throw RegistryException.subjectNotFound(subject);
            }
            List<Version> versions = state.versions(subject, includeDeleted);
            for (int i = versions.size() - 1; i >= 0; i--) {
                if (versions.get(i).schema().equals(canonical)) {
                    return versions.get(i);
                }
            }
            throw RegistryException.schemaNotFound();
        });
    }

    /**
     * The schema an id names: from memory when this instance knows the id, else after a catch-up shared with every
     * other lookup waiting for one. Safe to call from any number of threads at once.
     *
     * @throws RegistryException 40403 when the store does not hold the id; 50001 when it cannot be read in time
     */
    String schema(int id) {
        Optional<String> known = state.schema(id);
        if (known.isPresent()) {
            return known.get();
        }
        idCatchUps.await();
        return state.schema(id).orElseThrow(() -> RegistryException.schemaIdNotFound(id));
    }

    /** Catch-ups run for lookups of unknown ids since start; for tests of their sharing. */
    long idCatchUps() {
        return idCatchUps.completed();
    }

    /** Lookups of unknown ids waiting for a catch-up now. */
    int idLookupsWaiting() {
        return idCatchUps.waiting();
    }

    List<SubjectVersion> usesOf(int id, boolean includeDeleted) {
        return locked(() -> {
            store.catchUp();
            if (state.schema(id).isEmpty()) {
                throw RegistryException.schemaIdNotFound(id);
            }
            return state.usesOf(id, includeDeleted).stream()
                    .map(v -> new SubjectVersion(v.subject(), v.version()))
                    .toList();
        });
    }

    List<String> subjects(boolean includeDeleted) {
        return locked(() -> {
            store.catchUp();
            return state.subjects(includeDeleted);
        });
    }

    List<Integer> versions(String subject, boolean includeDeleted) {
        return locked(() -> {
            store.catchUp();
            List<Version> versions = state.versions(subject, includeDeleted);
            if (versions.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            return versions.stream().map(Version::version).toList();
        });
    }

    /** A version by number or "latest" (also -1). */
    Version version(String subject, String versionSpec, boolean includeDeleted) {
        VersionSpec spec = VersionSpec.parse(versionSpec);
        return locked(() -> {
            store.catchUp();
            return resolve(subject, spec, includeDeleted);
        });
    }

    /**
     * Deletes a subject: soft (versions leave the live set, ids stay readable) or, once soft-deleted, permanently.
     *
     * @return the versions deleted
     */
    List<Integer> deleteSubject(String subject, boolean permanent) {
        return locked(() -> {
            store.catchUp();
            List<Version> all = state.versions(subject, true);
            if (all.isEmpty()) {
                throw RegistryException.subjectNotFound(subject);
            }
            List<Integer> deleted = new ArrayList<>();
            if (permanent) {
                if (all.stream().anyMatch(v -> !v.deleted())) {
                    throw RegistryException.subjectNotSoftDeleted(subject);
                }
                for (Version v : all) {
                    erase(v);
                    deleted.add(v.version());
                }
                log.info("Permanently deleted subject {} versions {}", subject, deleted);
            } else {
                List<Version> live = state.versions(subject, false);
                if (live.isEmpty()) {
                    throw RegistryException.subjectSoftDeleted(subject);
                }
                for (Version v : live) {
                    store.append(new VersionSoftDeleted(subject, v.version(), v.id()));
                    deleted.add(v.version());
                }
                log.info("Soft-deleted subject {} versions {}", subject, deleted);
            }
            return deleted;
        });
    }

    /** Deletes one version, soft or (once soft-deleted) permanently; returns its number. */
    int deleteVersion(String subject, String versionSpec, boolean permanent) {
        VersionSpec spec = VersionSpec.parse(versionSpec);
        return locked(() -> {
            store.catchUp();
            Version v = resolve(subject, spec, permanent);
            if (permanent) {
                if (!v.deleted()) {
                    throw RegistryException.versionNotSoftDeleted(subject, v.version());
                }
                erase(v);
            } else {
                if (v.deleted()) {
                    throw RegistryException.versionSoftDeleted(subject, v.version());
                }
                store.append(new VersionSoftDeleted(subject, v.version(), v.id()));
            }
            return v.version();
        });
    }

    CompatibilityLevel globalLevel() {
        return locked(() -> {
            store.catchUp();
            return state.globalLevel();
        });
    }

    /** The subject's own level; or, when {@code defaultToGlobal}, the level that applies to it. */
    CompatibilityLevel subjectLevel(String subject, boolean defaultToGlobal) {
        return locked(() -> {
            store.catchUp();
            Optional<CompatibilityLevel> own = state.subjectLevel(subject);
            if (own.isPresent()) {
                return own.get();
            }
            if (defaultToGlobal) {
                return state.globalLevel();
            }
            throw RegistryException.subjectCompatibilityNotConfigured(subject);
        });
    }

    /** Sets the global level ({@code subject} null) or a subject's. */
    void setLevel(String subject, CompatibilityLevel level) {
        locked(() -> {
            store.append(new ConfigSet(subject, level));
            log.info("Compatibility of {} set to {}", subject == null ? "the registry" : "subject " + subject, level);
            return null;
        });
    }

    /** Removes a subject's own level (it follows the global one again); returns the level it had. */
    CompatibilityLevel clearLevel(String subject) {
        return locked(() -> {
            store.catchUp();
            CompatibilityLevel previous =
                    state.subjectLevel(subject).orElseThrow(() -> RegistryException.subjectNotFound(subject));
            store.append(new ConfigCleared(subject));
            return previous;
        });
    }

    /**
     * Checks a schema against one version of a subject, or, for "latest" or no version, against what a
     * registration would be checked against at the subject's level.
     */
    CompatibilityResult checkCompatibility(String subject, String versionSpec, String schemaText) {
        VersionSpec spec = versionSpec == null ? VersionSpec.LATEST : VersionSpec.parse(versionSpec);
        Schema schema = parse(schemaText);
        return locked(() -> {
            store.catchUp();
            CompatibilityLevel level = state.effectiveLevel(subject);
            List<String> problems;
            if (spec.latest()) {
                if (versionSpec != null && state.versions(subject, false).isEmpty()) {
                    throw RegistryException.subjectNotFound(subject);
                }
                problems = level.incompatibilities(schema, liveSchemasNewestFirst(subject));
            } else {
                Version v = resolve(subject, spec, false);
                problems = level == CompatibilityLevel.NONE
                        ? List.of()
                        : level.incompatibilitiesWithEach(schema, List.of(parse(v.schema())));
            }
            return new CompatibilityResult(problems.isEmpty(), problems);
        });
    }

    private void erase(Version v) {
        store.append(new SchemaErased(v.subject(), v.version(), v.id(), StoreRecord.fingerprint(v.schema())));
        store.append(new SoftDeleteErased(v.subject(), v.version()));
    }

    private Version resolve(String subject, VersionSpec spec, boolean includeDeleted) {
        List<Version> versions = state.versions(subject, includeDeleted);
        if (versions.isEmpty()) {
            throw RegistryException.subjectNotFound(subject);
        }
        if (spec.latest()) {
            return versions.get(versions.size() - 1);
        }
        return state.version(subject, spec.number())
                .filter(v -> includeDeleted || !v.deleted())
                .orElseThrow(() -> RegistryException.versionNotFound(subject, spec.number()));
    }

    private Optional<Version> liveVersionOf(String subject, String canonical) {
        return state.versions(subject, false).stream()
                .filter(v -> v.schema().equals(canonical))
                .findFirst();
    }

    private List<Schema> liveSchemasNewestFirst(String subject) {
        List<Version> live = state.versions(subject, false);
        List<Schema> schemas = new ArrayList<>(live.size());
        for (int i = live.size() - 1; i >= 0; i--) {
            schemas.add(parse(live.get(i).schema()));
        }
        return schemas;
    }

    /** Parses an Avro schema; its {@code toString()} is the canonical text ids are keyed by. */
    static Schema parse(String schemaText) {
        if (schemaText == null || schemaText.isBlank()) {
            throw RegistryException.invalidSchema("empty schema");
        }
        try {
            return new Schema.Parser().parse(schemaText);
        } catch (AvroRuntimeException e) {
            throw RegistryException.invalidSchema(e.getMessage());
        }
    }

    private <T> T locked(Supplier<T> operation) {
        boolean acquired;
        try {
            acquired = lock.tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryException.storeError("interrupted while waiting for the store", e);
        }
        if (!acquired) {
            throw RegistryException.storeError("store busy for more than " + timeout.toMillis() + " ms", null);
        }
        try {
            return operation.get();
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code operation} holding the lock every store operation takes; for tests that need a busy store. */
    <T> T whileStoreBusy(Supplier<T> operation) {
        return locked(operation);
    }

    @Override
    public void close() {
        try {
            idCatchUps.close();
        } finally {
            store.close();
        }
    }

    /** A version as a path gives it: a number from 1, or "latest" / -1. */
    record VersionSpec(boolean latest, int number) {
        static final VersionSpec LATEST = new VersionSpec(true, -1);

        static VersionSpec parse(String text) {
            if ("latest".equalsIgnoreCase(text)) {
                return LATEST;
            }
            int number;
            try {
                number = Integer.parseInt(text);
            } catch (NumberFormatException e) {
                throw RegistryException.invalidVersion(text);
            }
            if (number == -1) {
                return LATEST;
            }
            if (number < 1) {
                throw RegistryException.invalidVersion(text);
            }
            return new VersionSpec(false, number);
        }
    }
}
