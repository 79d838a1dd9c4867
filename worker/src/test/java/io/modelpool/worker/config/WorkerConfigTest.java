package io.modelpool.worker.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class WorkerConfigTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "kafka.consumer.enable.auto.commit=true",
                "kafka.consumer.isolation.level=read_uncommitted",
                "kafka.producer.acks=1",
                "kafka.producer.enable.idempotence=false",
                "kafka.producer.transactional.id=t",
                "kafka.enable.auto.commit=true",
                "kafka.group.id=other"
            })
    void guaranteeCriticalClientOverridesAreRefusedWithOneLineNamingTheKey(String setting) {
        Map<String, String> m = minimal();
        String[] kv = setting.split("=", 2);
        m.put(kv[0], kv[1]);
        assertThatThrownBy(() -> WorkerConfig.of(m))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(kv[0] + " cannot be overridden: ")
                .hasMessageNotContaining("\n");
    }

    private static Map<String, String> minimal() {
        Map<String, String> m = new HashMap<>();
        m.put("kafka.bootstrap.servers", "localhost:9092");
        m.put("schema.registry.url", "http://localhost:8081");
        return m;
    }

    @Test
    void defaultsApplyWhenOnlyTheRequiredKeysAreSet() {
        WorkerConfig c = WorkerConfig.of(minimal());
        assertThat(c.topicPrefix()).isEqualTo("modelpool");
        assertThat(c.drainTimeout()).hasMillis(5000);
        assertThat(c.groupId()).isEqualTo("modelpool-workers");
        assertThat(c.groupInstanceId()).isEmpty();
        assertThat(c.workerId()).isNotBlank();
    }

    @Test
    void anUnknownKeyStopsStartUpNamingTheKey() {
        Map<String, String> m = minimal();
        m.put("shutdown.drain-timeot-ms", "100");
        assertThatThrownBy(() -> WorkerConfig.of(m))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("shutdown.drain-timeot-ms")
                .hasMessageContaining("unknown configuration key");
    }

    @Test
    void aBadValueStopsStartUpNamingKeyValueAndWhatIsAllowed() {
        Map<String, String> m = minimal();
        m.put("intake.max-poll-records", "0");
        assertThatThrownBy(() -> WorkerConfig.of(m))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("intake.max-poll-records")
                .hasMessageContaining("0")
                .hasMessageContaining("at least 1");
    }

    @Test
    void aMissingRequiredKeyIsNamed() {
        assertThatThrownBy(() -> WorkerConfig.of(Map.of("schema.registry.url", "http://x")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("kafka.bootstrap.servers");
    }

    @Test
    void lowWaterMustBeBelowHighWater() {
        Map<String, String> m = minimal();
        m.put("backpressure.high-water", "10");
        m.put("backpressure.low-water", "10");
        assertThatThrownBy(() -> WorkerConfig.of(m)).hasMessageContaining("backpressure.low-water");
    }

    @Test
    void kafkaAndRegistrySettingsPassThroughToTheRightClients() {
        Map<String, String> m = minimal();
        m.put("kafka.security.protocol", "SASL_SSL");
        m.put("kafka.consumer.fetch.min.bytes", "1024");
        m.put("kafka.producer.linger.ms", "20");
        m.put("kafka.producer.security.protocol", "SSL");
        m.put("schema.registry.basic.auth.user.info", "u:p");
        m.put("schema.registry.ssl.truststore.location", "/tmp/t.jks");
        WorkerConfig c = WorkerConfig.of(m);
        assertThat(c.kafkaConsumerOverrides())
                .containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("fetch.min.bytes", "1024")
                .doesNotContainKey("linger.ms");
        assertThat(c.kafkaProducerOverrides())
                .containsEntry("security.protocol", "SSL")
                .containsEntry("linger.ms", "20");
        assertThat(c.registryConfig())
                .containsEntry("basic.auth.user.info", "u:p")
                .containsEntry("schema.registry.ssl.truststore.location", "/tmp/t.jks")
                .containsEntry("schema.registry.url", "http://localhost:8081");
    }

    @Test
    void fileThenEnvironmentThenFlagsWithLaterSourcesWinning(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("worker.yaml");
        Files.writeString(file, """
                kafka:
                  bootstrap.servers: file:9092
                schema.registry.url: http://file:8081
                shutdown:
                  drain-timeout-ms: 1000
                topic.prefix: from-file
                """);
        Map<String, String> env = Map.of(
                "MODELPOOL_SHUTDOWN_DRAIN_TIMEOUT_MS", "2000", "MODELPOOL_TOPIC_PREFIX", "from-env", "UNRELATED", "x");
        Map<String, String> flags = ConfigSources.parseFlags(List.of("topic.prefix=from-flag"));
        WorkerConfig c = WorkerConfig.of(ConfigSources.merge(file, env, flags));
        assertThat(c.bootstrapServers()).isEqualTo("file:9092");
        assertThat(c.drainTimeout()).hasMillis(2000);
        assertThat(c.topicPrefix()).isEqualTo("from-flag");
    }

    @Test
    void propertiesFilesAreReadToo(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("worker.properties");
        Files.writeString(file, "kafka.bootstrap.servers=p:9092\nschema.registry.url=http://p:8081\n");
        assertThat(WorkerConfig.of(ConfigSources.merge(file, Map.of(), Map.of()))
                        .bootstrapServers())
                .isEqualTo("p:9092");
    }

    @Test
    void aMissingConfigFileIsReportedByPath(@TempDir Path dir) {
        Path missing = dir.resolve("nope.yaml");
        assertThatThrownBy(() -> ConfigSources.merge(missing, Map.of(), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(missing.toString());
    }

    @Test
    void aMalformedFlagIsRejected() {
        assertThatThrownBy(() -> ConfigSources.parseFlags(List.of("novalue"))).hasMessageContaining("key=value");
    }

    @Test
    void processingGuaranteeIsAtLeastOnceByDefaultAndAcceptsOnlyTheTwoModes() {
        assertThat(WorkerConfig.of(minimal()).exactlyOnce()).isFalse();
        Map<String, String> m = minimal();
        m.put("processing.guarantee", "exactly_once");
        assertThat(WorkerConfig.of(m).exactlyOnce()).isTrue();
        m.put("processing.guarantee", "exactly-once-v3");
        assertThatThrownBy(() -> WorkerConfig.of(m))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("processing.guarantee")
                .hasMessageContaining("exactly-once-v3")
                .hasMessageContaining("at_least_once");
    }

    @Test
    void theTransactionalIdIsStablePerInstance() {
        Map<String, String> m = minimal();
        m.put("group.id", "fleet");
        assertThat(WorkerConfig.of(m).transactionalIdStable())
                .as("default worker id carries the pid")
                .isFalse();
        m.put("worker.id", "w-7");
        assertThat(WorkerConfig.of(m).transactionalId("w-7")).isEqualTo("fleet-w-7");
        m.put("group.instance.id", "pod-3");
        assertThat(WorkerConfig.of(m).transactionalId("w-7"))
                .as("static membership wins")
                .isEqualTo("fleet-pod-3");
        m.put("transaction.id", "explicit");
        assertThat(WorkerConfig.of(m).transactionalId("w-7")).isEqualTo("explicit");
        assertThat(WorkerConfig.of(m).transactionalIdStable()).isTrue();
    }

    @Test
    void theCommittedConfigurationReferenceMatchesTheDeclarations() throws IOException {
        Path docs = Path.of("..", "docs", "configuration.md");
        assertThat(docs)
                .as("docs/configuration.md exists; regenerate with ConfigDocs")
                .exists();
        assertThat(Files.readString(docs))
                .as("docs/configuration.md is stale; regenerate it with " + "io.modelpool.worker.config.ConfigDocs")
                .isEqualTo(ConfigDocs.render());
    }
}
