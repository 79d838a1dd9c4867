package io.modelpool.schemas.registry;

import java.util.Locale;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;

/**
 * How a serializer names the registry subject a schema is registered under, as Confluent's serializers do.
 * Configured with {@code key.subject.name.strategy} and {@code value.subject.name.strategy}; the value may be
 * Confluent's class name ({@code io.confluent.kafka.serializers.subject.RecordNameStrategy}), this enum's
 * constant name, or the simple class name ({@code RecordNameStrategy}). Custom strategy classes are not
 * supported.
 */
public enum SubjectNameStrategy {
    /** {@code <topic>-value} or {@code <topic>-key}: one record type per topic (the default). */
    TOPIC_NAME("TopicNameStrategy") {
        @Override
        public String subjectName(String topic, boolean isKey, Schema schema) {
            return Objects.requireNonNull(topic, "topic") + (isKey ? "-key" : "-value");
        }
    },
    /** The record's full name, for example {@code io.modelpool.v1.TextEmbeddingRequest}, on every topic. */
    RECORD_NAME("RecordNameStrategy") {
        @Override
        public String subjectName(String topic, boolean isKey, Schema schema) {
            return fullName(schema);
        }
    },
    /** {@code <topic>-<record full name>}: several record types per topic, evolving per topic. */
    TOPIC_RECORD_NAME("TopicRecordNameStrategy") {
        @Override
        public String subjectName(String topic, boolean isKey, Schema schema) {
            return Objects.requireNonNull(topic, "topic") + "-" + fullName(schema);
        }
    };

    private static final String CONFLUENT_PACKAGE = "io.confluent.kafka.serializers.subject.";

    private final String simpleClassName;

    SubjectNameStrategy(String simpleClassName) {
        this.simpleClassName = simpleClassName;
    }

    /** The subject for a record of {@code schema} written to {@code topic} as its key or value. */
    public abstract String subjectName(String topic, boolean isKey, Schema schema);

    /** Confluent's class name for this strategy, for example {@code io.confluent...TopicNameStrategy}. */
    public String confluentClassName() {
        return CONFLUENT_PACKAGE + simpleClassName;
    }

    /**
     * Parses a configured strategy name.
     *
     * @param key the configuration key, named in the error
     * @throws ConfigException naming the key, the value and the accepted values
     */
    public static SubjectNameStrategy fromConfig(String key, String value) {
        if (value != null) {
            String trimmed = value.trim();
            for (SubjectNameStrategy strategy : values()) {
                if (trimmed.equals(strategy.confluentClassName())
                        || trimmed.equals(strategy.simpleClassName)
                        || trimmed.toUpperCase(Locale.ROOT).equals(strategy.name())) {
                    return strategy;
                }
            }
        }
        throw new ConfigException(
                key,
                value,
                "expected one of TopicNameStrategy, RecordNameStrategy, TopicRecordNameStrategy "
                        + "(optionally with Confluent's package " + CONFLUENT_PACKAGE + ")");
    }

    private static String fullName(Schema schema) {
        Objects.requireNonNull(schema, "schema");
        if (schema.getType() != Schema.Type.RECORD) {
            throw new IllegalArgumentException(
                    "record-name subject strategies need a record schema, got " + schema.getType());
        }
        return schema.getFullName();
    }
}
