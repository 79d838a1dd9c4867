package io.modelpool.devstack.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;

/**
 * One record of the registry's compacted Kafka topic: every change to the registry is one of these, and the
 * registry's state is what you get by applying them in log order ({@link RegistryState#apply}).
 *
 * <p>Keys are JSON objects written with a fixed field order, so the same logical key always has the same bytes
 * and compaction keeps only its last value. A schema registration's key names the subject, version, id and a
 * fingerprint of the schema, so two registry instances that propose different registrations never share a key:
 * the proposal that reached the log first survives compaction together with the one it beat, and the log order
 * that decided between them is kept. The "erased" variants are tombstones (null values).
 *
 * <p>Records whose key lacks this format's marker were written by something else (for example a Confluent
 * registry sharing the topic) and are skipped by {@link #decode}.
 */
sealed interface StoreRecord {

    String FORMAT = "modelpool-registry/1";

    /** A subject's version bound to a schema id. Written once; only ever followed by its own tombstone. */
    record SchemaRegistered(String subject, int version, int id, String schema) implements StoreRecord {
        String fingerprint() {
            return StoreRecord.fingerprint(schema);
        }
    }

    /** The tombstone of a {@link SchemaRegistered}: a permanent delete, or a registration that lost a race. */
    record SchemaErased(String subject, int version, int id, String fingerprint) implements StoreRecord {}

    /** A soft delete of one version: it keeps its id but leaves the subject's live versions. */
    record VersionSoftDeleted(String subject, int version, int id) implements StoreRecord {}

    /** The tombstone of a {@link VersionSoftDeleted}, written when the version is deleted permanently. */
    record SoftDeleteErased(String subject, int version) implements StoreRecord {}

    /** A compatibility level for one subject, or the global one when {@code subject} is null. */
    record ConfigSet(String subject, CompatibilityLevel level) implements StoreRecord {}

    /** Removes a subject's compatibility level (or resets the global one to the default). */
    record ConfigCleared(String subject) implements StoreRecord {}

    /** SHA-256 of a canonical schema, as 32 hex digits. */
    static String fingerprint(String canonicalSchema) {
        try {
            byte[] digest =
                    MessageDigest.getInstance("SHA-256").digest(canonicalSchema.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** The Kafka record key and value (null for tombstones) of a store record. */
    record Encoded(byte[] key, byte[] value) {}

    /** Encodes and decodes store records as JSON. */
    final class Codec {
        private static final ObjectMapper JSON = new ObjectMapper();

        private Codec() {}

        static Encoded encode(StoreRecord record) {
            if (record instanceof SchemaRegistered r) {
                return new Encoded(
                        schemaKey(r.subject(), r.version(), r.id(), r.fingerprint()),
                        bytes(JSON.createObjectNode().put("schema", r.schema())));
            } else if (record instanceof SchemaErased r) {
                return new Encoded(schemaKey(r.subject(), r.version(), r.id(), r.fingerprint()), null);
            } else if (record instanceof VersionSoftDeleted r) {
                return new Encoded(
                        deleteKey(r.subject(), r.version()),
                        bytes(JSON.createObjectNode().put("id", r.id())));
            } else if (record instanceof SoftDeleteErased r) {
                return new Encoded(deleteKey(r.subject(), r.version()), null);
            } else if (record instanceof ConfigSet r) {
                return new Encoded(
                        configKey(r.subject()),
                        bytes(JSON.createObjectNode()
                                .put("compatibilityLevel", r.level().name())));
            } else if (record instanceof ConfigCleared r) {
                return new Encoded(configKey(r.subject()), null);
            }
            throw new IllegalArgumentException("unknown store record " + record);
        }

        /**
         * Decodes a record read from the topic.
         *
         * @return empty for records this format does not own
         * @throws IllegalArgumentException for a record that claims this format but cannot be read
         */
        static Optional<StoreRecord> decode(byte[] key, byte[] value) {
            if (key == null) {
                return Optional.empty();
            }
            JsonNode k;
            try {
                k = JSON.readTree(key);
            } catch (IOException e) {
                // Not JSON, so not ours.
                return Optional.empty();
            }
            if (k == null || !k.isObject() || !FORMAT.equals(k.path("format").asText(null))) {
                return Optional.empty();
            }
            JsonNode v = value == null ? null : tree(value);
            String keyType = k.path("keytype").asText("");
            String subject =
                    k.path("subject").isNull() ? null : k.path("subject").asText();
            StoreRecord record = switch (keyType) {
                case "SCHEMA" ->
                    v == null
                            ? new SchemaErased(
                                    subject,
                                    k.path("version").asInt(),
                                    k.path("id").asInt(),
                                    k.path("fingerprint").asText())
                            : new SchemaRegistered(
                                    subject,
                                    k.path("version").asInt(),
                                    k.path("id").asInt(),
                                    required(v, "schema"));
                case "DELETE_VERSION" ->
                    v == null
                            ? new SoftDeleteErased(subject, k.path("version").asInt())
                            : new VersionSoftDeleted(
                                    subject,
                                    k.path("version").asInt(),
                                    v.path("id").asInt());
                case "CONFIG" ->
                    v == null
                            ? new ConfigCleared(subject)
                            : new ConfigSet(subject, CompatibilityLevel.parse(required(v, "compatibilityLevel")));
                default -> throw new IllegalArgumentException("unknown keytype '" + keyType + "'");
            };
            return Optional.of(record);
        }

        private static String required(JsonNode node, String field) {
            JsonNode value = node.get(field);
            if (value == null || !value.isTextual()) {
                throw new IllegalArgumentException("record value lacks text field '" + field + "'");
            }
            return value.asText();
        }

        private static byte[] schemaKey(String subject, int version, int id, String fingerprint) {
            ObjectNode key = header("SCHEMA", subject);
            key.put("version", version);
            key.put("id", id);
            key.put("fingerprint", fingerprint);
            return bytes(key);
        }

        private static byte[] deleteKey(String subject, int version) {
            ObjectNode key = header("DELETE_VERSION", subject);
            key.put("version", version);
            return bytes(key);
        }

        private static byte[] configKey(String subject) {
            return bytes(header("CONFIG", subject));
        }

        private static ObjectNode header(String keyType, String subject) {
            ObjectNode key = JSON.createObjectNode();
            key.put("format", FORMAT);
            key.put("keytype", keyType);
            if (subject == null) {
                key.putNull("subject");
            } else {
                key.put("subject", subject);
            }
            return key;
        }

        private static byte[] bytes(JsonNode node) {
            try {
                return JSON.writeValueAsBytes(node);
            } catch (JsonProcessingException e) {
                throw new UncheckedIOException(e);
            }
        }

        private static JsonNode tree(byte[] bytes) {
            try {
                return JSON.readTree(bytes);
            } catch (IOException e) {
                throw new IllegalArgumentException("record is not JSON: " + e.getMessage(), e);
            }
        }
    }
}
