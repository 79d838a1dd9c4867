package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.schemas.registry.SubjectNameStrategy;
import io.modelpool.v1.JobStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class AvroSerdeConfigTest {
    private static final String URL = "http://registry:8081";

    @Test
    void defaultsMatchConfluentsSerializers() {
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of("schema.registry.url", URL));

        assertThat(config.autoRegisterSchemas()).isTrue();
        assertThat(config.useLatestVersion()).isFalse();
        assertThat(config.latestCompatibilityStrict()).isTrue();
        assertThat(config.subjectNameStrategy(true)).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThat(config.subjectNameStrategy(false)).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThat(config.maxPayloadBytes()).isEqualTo(16 * 1024 * 1024);
        assertThat(config.readerSchema(false)).isEmpty();
        assertThat(config.specificType(false)).isEmpty();
    }

    @Test
    void keysAndValuesHaveTheirOwnStrategiesReaderSchemasAndTypes() {
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of(
                "schema.registry.url",
                URL,
                "key.subject.name.strategy",
                "RecordNameStrategy",
                "avro.value.reader.schema",
                "{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}",
                "specific.avro.value.type",
                "io.modelpool.v1.JobStatus"));

        assertThat(config.subjectNameStrategy(true)).isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(config.subjectNameStrategy(false)).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
        assertThat(config.readerSchema(false))
                .hasValueSatisfying(s -> assertThat(s.getName()).isEqualTo("R"));
        assertThat(config.readerSchema(true)).isEmpty();
        assertThat(config.specificType(false)).contains(JobStatus.class);
    }

    @Test
    void badValuesStopConfigurationNamingTheKey() {
        assertThatThrownBy(() ->
                        new AvroSerdeConfig(Map.of("schema.registry.url", URL, "value.subject.name.strategy", "Mine")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("value.subject.name.strategy");
        assertThatThrownBy(() ->
                        new AvroSerdeConfig(Map.of("schema.registry.url", URL, "avro.key.reader.schema", "{not json")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("avro.key.reader.schema");
        assertThatThrownBy(() -> new AvroSerdeConfig(
                        Map.of("schema.registry.url", URL, "specific.avro.value.type", "java.lang.String")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("specific.avro.value.type");
        assertThatThrownBy(() -> new AvroSerdeConfig(Map.of("schema.registry.url", URL, "max.payload.bytes", 4)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("max.payload.bytes");
    }

    @Test
    void aWholeProducerConfigurationIsAcceptedAndItsOtherKeysIgnored() {
        AvroSerdeConfig config = new AvroSerdeConfig(Map.of(
                "schema.registry.url", URL, "bootstrap.servers", "k:9092", "acks", "all", "enable.idempotence", true));

        assertThat(config.urls()).hasSize(1);
    }

    @Test
    void docsSerdeMdListsEveryKeyWithItsDefault() throws IOException {
        String docs = Files.readString(Path.of("..", "docs", "serde.md"));

        for (ConfigDef.ConfigKey key : AvroSerdeConfig.configDef().configKeys().values()) {
            assertThat(docs).as("docs/serde.md mentions %s", key.name).contains("`" + key.name + "`");
            if (key.hasDefault() && key.defaultValue != null) {
                String shown = key.defaultValue instanceof List<?> list
                        ? list.stream().map(String::valueOf).collect(Collectors.joining(","))
                        : String.valueOf(key.defaultValue);
                assertThat(docs)
                        .as("docs/serde.md gives the default of %s", key.name)
                        .containsPattern("`" + Pattern.quote(key.name) + "`[^\\n]*`" + Pattern.quote(shown) + "`");
            }
        }
    }
}
