package io.modelpool.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaConnectionTest {
    @TempDir
    Path dir;

    @Test
    void describeNeverShowsRegistryCredentialsOrClientSettings() throws IOException {
        Path config = Files.writeString(dir.resolve("client.properties"), """
                security.protocol=SASL_SSL
                sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="s3cret";
                """);
        KafkaConnection connection = new KafkaConnection(
                "broker:9093", "https://user:hunter2@registry:8081", "prod", KafkaConnection.loadClientConfig(config));

        assertThat(connection.clientConfig()).containsEntry("security.protocol", "SASL_SSL");
        assertThat(connection.describe())
                .contains("broker:9093", "registry:8081", "2 client settings")
                .doesNotContain("hunter2", "s3cret", "user:");
    }

    @Test
    void rejectsABadPrefixOrRegistryUrlNamingTheOption() {
        assertThatThrownBy(() -> new KafkaConnection("b:9092", "http://r:8081", "bad prefix!", Map.of()))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--topic-prefix 'bad prefix!'");
        assertThatThrownBy(() -> KafkaConnection.of("b:9092", "localhost:8081"))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--schema-registry must be an http(s) URL");
    }

    @Test
    void aMissingClientConfigFileIsNamed() {
        assertThatThrownBy(() -> KafkaConnection.loadClientConfig(dir.resolve("nope.properties")))
                .isInstanceOf(CliException.class)
                .hasMessageContaining("--client-config file")
                .hasMessageContaining("nope.properties does not exist");
    }
}
