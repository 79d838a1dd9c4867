package io.modelpool.schemas.serde;

import io.modelpool.schemas.registry.SchemaRegistryClientConfig;
import io.modelpool.schemas.registry.SubjectNameStrategy;
import java.util.Map;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * The serde's settings: every key of {@link SchemaRegistryClientConfig} plus the serializer and deserializer
 * keys below, declared once. Key names follow Confluent's serializers where Confluent has one; the keys that
 * are modelpool's own say so in their documentation. Values are checked when the config is built.
 */
public final class AvroSerdeConfig extends SchemaRegistryClientConfig {

    public static final String AUTO_REGISTER_SCHEMAS = "auto.register.schemas";
    public static final String USE_LATEST_VERSION = "use.latest.version";
    public static final String LATEST_COMPATIBILITY_STRICT = "latest.compatibility.strict";
    public static final String KEY_SUBJECT_NAME_STRATEGY = "key.subject.name.strategy";
    public static final String VALUE_SUBJECT_NAME_STRATEGY = "value.subject.name.strategy";
    public static final String SPECIFIC_AVRO_KEY_TYPE = "specific.avro.key.type";
    public static final String SPECIFIC_AVRO_VALUE_TYPE = "specific.avro.value.type";
    public static final String AVRO_KEY_READER_SCHEMA = "avro.key.reader.schema";
    public static final String AVRO_VALUE_READER_SCHEMA = "avro.value.reader.schema";
    public static final String MAX_PAYLOAD_BYTES = "max.payload.bytes";

    /** Default of {@value #MAX_PAYLOAD_BYTES}: 16 MiB. */
    public static final int DEFAULT_MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

    private static final ConfigDef CONFIG = define(SchemaRegistryClientConfig.configDef());

    private final SubjectNameStrategy keyStrategy;
    private final SubjectNameStrategy valueStrategy;
    private final Schema keyReaderSchema;
    private final Schema valueReaderSchema;

    public AvroSerdeConfig(Map<String, ?> originals) {
        super(CONFIG, originals);
        this.keyStrategy =
                SubjectNameStrategy.fromConfig(KEY_SUBJECT_NAME_STRATEGY, getString(KEY_SUBJECT_NAME_STRATEGY));
        this.valueStrategy =
                SubjectNameStrategy.fromConfig(VALUE_SUBJECT_NAME_STRATEGY, getString(VALUE_SUBJECT_NAME_STRATEGY));
        this.keyReaderSchema = parseSchema(AVRO_KEY_READER_SCHEMA);
        this.valueReaderSchema = parseSchema(AVRO_VALUE_READER_SCHEMA);
        checkSpecificType(SPECIFIC_AVRO_KEY_TYPE);
        checkSpecificType(SPECIFIC_AVRO_VALUE_TYPE);
    }

    /** A copy of every declaration, registry keys included; docs/serde.md lists the same keys. */
    public static ConfigDef configDef() {
        return new ConfigDef(CONFIG);
    }

    public boolean autoRegisterSchemas() {
        return getBoolean(AUTO_REGISTER_SCHEMAS);
    }

    public boolean useLatestVersion() {
        return getBoolean(USE_LATEST_VERSION);
    }

    public boolean latestCompatibilityStrict() {
        return getBoolean(LATEST_COMPATIBILITY_STRICT);
    }

    public SubjectNameStrategy subjectNameStrategy(boolean isKey) {
        return isKey ? keyStrategy : valueStrategy;
    }

    public int maxPayloadBytes() {
        return getInt(MAX_PAYLOAD_BYTES);
    }

    /** The generated class configured for keys or values, if any. */
    public Optional<Class<? extends SpecificRecord>> specificType(boolean isKey) {
        Class<?> type = getClass(isKey ? SPECIFIC_AVRO_KEY_TYPE : SPECIFIC_AVRO_VALUE_TYPE);
        return Optional.ofNullable(type).map(t -> t.asSubclass(SpecificRecord.class));
    }

    /** The reader schema configured for generic keys or values, if any. */
    public Optional<Schema> readerSchema(boolean isKey) {
        return Optional.ofNullable(isKey ? keyReaderSchema : valueReaderSchema);
    }

    private Schema parseSchema(String key) {
        String text = getString(key);
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return new Schema.Parser().parse(text);
        } catch (SchemaParseException e) {
            throw new ConfigException(key, text, "not an Avro schema: " + e.getMessage());
        }
    }

    private void checkSpecificType(String key) {
        Class<?> type = getClass(key);
        if (type != null && !SpecificRecord.class.isAssignableFrom(type)) {
            throw new ConfigException(key, type.getName(), "must be a generated Avro class (a SpecificRecord)");
        }
    }

    private static ConfigDef define(ConfigDef def) {
        ConfigDef.Validator strategy = (name, value) -> SubjectNameStrategy.fromConfig(name, (String) value);
        return def.define(
                        AUTO_REGISTER_SCHEMAS,
                        Type.BOOLEAN,
                        true,
                        Importance.MEDIUM,
                        "Serializer: register the record's schema under its subject (POST /subjects/{subject}/versions) "
                                + "before the first record. When false, the schema must already be registered, or "
                                + USE_LATEST_VERSION + " must be true.")
                .define(
                        USE_LATEST_VERSION,
                        Type.BOOLEAN,
                        false,
                        Importance.MEDIUM,
                        "Serializer, when " + AUTO_REGISTER_SCHEMAS + "=false: write records with the subject's latest "
                                + "version and its id, converting each record to that schema. Generic deserializer without a "
                                + "configured reader schema: read records as the subject's latest version.")
                .define(
                        LATEST_COMPATIBILITY_STRICT,
                        Type.BOOLEAN,
                        true,
                        Importance.LOW,
                        "With " + USE_LATEST_VERSION + ": refuse records whose schema the latest version cannot read.")
                .define(
                        KEY_SUBJECT_NAME_STRATEGY,
                        Type.STRING,
                        "TopicNameStrategy",
                        strategy,
                        Importance.MEDIUM,
                        "Subject for keys: TopicNameStrategy (<topic>-key), RecordNameStrategy (the record's full name) "
                                + "or TopicRecordNameStrategy (<topic>-<full name>); Confluent's class names work too.")
                .define(
                        VALUE_SUBJECT_NAME_STRATEGY,
                        Type.STRING,
                        "TopicNameStrategy",
                        strategy,
                        Importance.MEDIUM,
                        "Subject for values: TopicNameStrategy (<topic>-value), RecordNameStrategy or "
                                + "TopicRecordNameStrategy.")
                .define(
                        SPECIFIC_AVRO_KEY_TYPE,
                        Type.CLASS,
                        null,
                        Importance.LOW,
                        "Specific deserializer built by class name: the generated class keys are read as. When unset, "
                                + "the class named by the writer schema.")
                .define(
                        SPECIFIC_AVRO_VALUE_TYPE,
                        Type.CLASS,
                        null,
                        Importance.LOW,
                        "Specific deserializer built by class name: the generated class values are read as. When unset, "
                                + "the class named by the writer schema.")
                .define(
                        AVRO_KEY_READER_SCHEMA,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Generic deserializer: the reader schema (JSON) keys are resolved to; the writer schema when unset "
                                + "(modelpool's key).")
                .define(
                        AVRO_VALUE_READER_SCHEMA,
                        Type.STRING,
                        null,
                        Importance.LOW,
                        "Generic deserializer: the reader schema (JSON) values are resolved to; the writer schema when "
                                + "unset (modelpool's key).")
                .define(
                        MAX_PAYLOAD_BYTES,
                        Type.INT,
                        DEFAULT_MAX_PAYLOAD_BYTES,
                        ConfigDef.Range.atLeast(5),
                        Importance.MEDIUM,
                        "Deserializer: values longer than this are rejected unread, and no length declared inside a value "
                                + "may exceed it (modelpool's key).");
    }
}
