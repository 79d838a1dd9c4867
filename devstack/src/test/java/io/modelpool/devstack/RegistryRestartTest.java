package io.modelpool.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The registry of a running stack can be stopped (an outage: connections are refused) and started again on the same
 * URL, serving the ids it handed out before, while the broker stays up.
 */
class RegistryRestartTest {

    private static final String SCHEMA =
            "{\"type\":\"record\",\"name\":\"Outage\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}";
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void aStoppedRegistryRefusesConnectionsAndComesBackOnTheSameUrlWithItsIds() throws Exception {
        try (DevStack stack = DevStack.start(DevStackOptions.ephemeral())) {
            String url = stack.schemaRegistryUrl();
            String body =
                    "{\"schema\":" + new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(SCHEMA) + "}";
            String registered = post(url + "/subjects/outage-value/versions", body);

            stack.stopRegistry();
            stack.stopRegistry();
            assertThat(stack.isRegistryRunning()).isFalse();
            assertThatThrownBy(() -> get(url + "/subjects")).isInstanceOf(ConnectException.class);

            stack.startRegistry();
            stack.startRegistry();
            assertThat(stack.isRegistryRunning()).isTrue();
            assertThat(stack.schemaRegistryUrl()).isEqualTo(url);
            assertThat(post(url + "/subjects/outage-value/versions", body))
                    .as("the same id as before the outage")
                    .isEqualTo(registered);
            assertThat(get(url + "/subjects")).contains("outage-value");
        }
    }

    private static String get(String uri) throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(URI.create(uri)).GET().build(), HttpResponse.BodyHandlers.ofString())
                .body();
    }

    private static String post(String uri, String body) throws IOException, InterruptedException {
        HttpResponse<String> r = HTTP.send(
                HttpRequest.newBuilder(URI.create(uri))
                        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("registration answer %s", r.body()).isEqualTo(200);
        return r.body();
    }
}
