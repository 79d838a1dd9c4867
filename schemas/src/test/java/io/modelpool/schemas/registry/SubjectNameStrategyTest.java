package io.modelpool.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.TextEmbeddingRequest;
import org.apache.avro.Schema;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SubjectNameStrategyTest {
    private static final Schema SCHEMA = TextEmbeddingRequest.getClassSchema();

    @Test
    void topicNameStrategyAppendsKeyOrValue() {
        assertThat(SubjectNameStrategy.TOPIC_NAME.subjectName("t", false, SCHEMA))
                .isEqualTo("t-value");
        assertThat(SubjectNameStrategy.TOPIC_NAME.subjectName("t", true, SCHEMA))
                .isEqualTo("t-key");
    }

    @Test
    void recordNameStrategiesUseTheRecordsFullName() {
        assertThat(SubjectNameStrategy.RECORD_NAME.subjectName("t", false, SCHEMA))
                .isEqualTo("io.modelpool.v1.TextEmbeddingRequest");
        assertThat(SubjectNameStrategy.TOPIC_RECORD_NAME.subjectName("t", true, SCHEMA))
                .isEqualTo("t-io.modelpool.v1.TextEmbeddingRequest");
    }

    @Test
    void confluentClassNamesSimpleNamesAndConstantNamesAllParse() {
        assertThat(SubjectNameStrategy.fromConfig("k", "io.confluent.kafka.serializers.subject.RecordNameStrategy"))
                .isEqualTo(SubjectNameStrategy.RECORD_NAME);
        assertThat(SubjectNameStrategy.fromConfig("k", "TopicRecordNameStrategy"))
                .isEqualTo(SubjectNameStrategy.TOPIC_RECORD_NAME);
        assertThat(SubjectNameStrategy.fromConfig("k", "topic_name")).isEqualTo(SubjectNameStrategy.TOPIC_NAME);
    }

    @Test
    void anUnknownStrategyIsRefusedNamingTheKeyAndValue() {
        assertThatThrownBy(() -> SubjectNameStrategy.fromConfig("value.subject.name.strategy", "com.acme.Mine"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("value.subject.name.strategy")
                .hasMessageContaining("com.acme.Mine")
                .hasMessageContaining("RecordNameStrategy");
    }
}
