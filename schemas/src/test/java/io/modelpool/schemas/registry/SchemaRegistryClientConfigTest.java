package io.modelpool.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;

class SchemaRegistryClientConfigTest {

    @Test
    void defaultsAreBoundedAndConfluentCompatible() {
        SchemaRegistryClientConfig config =
                new SchemaRegistryClientConfig(Map.of("schema.registry.url", "http://r:8081"));

        assertThat(config.urls()).containsExactly(URI.create("http://r:8081"));
        assertThat(config.maxRetries()).isEqualTo(3);
        assertThat(config.retryWait()).isEqualTo(Duration.ofMillis(100));
        assertThat(config.retryMaxWait()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.requestDeadline()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.cacheCapacity()).isEqualTo(1000);
        assertThat(config.latestCacheTtl()).isEmpty();
        assertThat(config.basicAuthUserInfo()).isEmpty();
    }

    @Test
    void theRegistryUrlIsRequired() {
        assertThatThrownBy(() -> new SchemaRegistryClientConfig(Map.of("bootstrap.servers", "k:9092")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.url");
    }

    @Test
    void aBadValueStopsConfigurationNamingKeyAndValue() {
        assertThatThrownBy(() -> new SchemaRegistryClientConfig(
                        Map.of("schema.registry.url", "http://r:8081", "max.retries", "-1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("max.retries")
                .hasMessageContaining("-1");
        assertThatThrownBy(() -> new SchemaRegistryClientConfig(Map.of("schema.registry.url", "ftp://r")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("ftp://r");
        assertThatThrownBy(() -> new SchemaRegistryClientConfig(
                        Map.of("schema.registry.url", "http://r", "basic.auth.credentials.source", "SASL_INHERIT")))
                .hasMessageContaining("basic.auth.credentials.source");
    }

    @Test
    void userInfoCredentialsBecomeABasicAuthorizationHeader() {
        RestSchemaRegistryClient client = RestSchemaRegistryClient.fromConfigs(Map.of(
                "schema.registry.url", "http://r:8081",
                "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "ana:s3cret"));

        assertThat(client.authorizationHeader())
                .contains("Basic " + Base64.getEncoder().encodeToString("ana:s3cret".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void urlCredentialsAreTakenFromTheUrlAndStrippedFromIt() {
        SchemaRegistryClientConfig config =
                new SchemaRegistryClientConfig(Map.of("schema.registry.url", "https://bo:pw@r.example:443/sr/"));

        assertThat(config.urls()).containsExactly(URI.create("https://r.example:443/sr"));
        assertThat(config.basicAuthUserInfo()).contains("bo:pw");
    }

    @Test
    void userInfoSourceWithoutCredentialsIsRefused() {
        assertThatThrownBy(() -> new SchemaRegistryClientConfig(
                        Map.of("schema.registry.url", "http://r:8081", "basic.auth.credentials.source", "USER_INFO")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("basic.auth.user.info");
    }

    @Test
    void aTrustStoreThatCannotBeReadStopsConfigurationNamingTheKey() {
        assertThatThrownBy(() -> RestSchemaRegistryClient.fromConfigs(Map.of(
                        "schema.registry.url", "https://r:8081",
                        "schema.registry.ssl.truststore.location", "/nonexistent/truststore.jks",
                        "schema.registry.ssl.truststore.password", "changeit")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("schema.registry.ssl.truststore.location")
                .hasMessageContaining("/nonexistent/truststore.jks");
    }

    @Test
    void passwordsNeverAppearInTheConfigsToString() {
        SchemaRegistryClientConfig config = new SchemaRegistryClientConfig(Map.of(
                "schema.registry.url", "http://r:8081",
                "basic.auth.credentials.source", "USER_INFO",
                "basic.auth.user.info", "ana:s3cret"));

        assertThat(config.values().toString()).doesNotContain("s3cret");
    }
}
