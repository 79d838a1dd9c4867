package io.modelpool.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpEndpointsTest {

    private static final Readiness.Report READY =
            new Readiness.Report(true, List.of(new Readiness.Check("intake", true, "partitions assigned")));
    private static final Readiness.Report NOT_READY = new Readiness.Report(
            false,
            List.of(
                    new Readiness.Check("intake", true, "partitions assigned"),
                    new Readiness.Check("shutdown", false, "shutting down")));

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicReference<Readiness.Report> readiness = new AtomicReference<>(READY);
    private final AtomicReference<String> stalled = new AtomicReference<>();
    private final HttpEndpoints endpoints =
            HttpEndpoints.start(new InetSocketAddress("127.0.0.1", 0), registry, readiness::get, stalled::get);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        endpoints.close();
        registry.close();
    }

    private HttpResponse<String> send(String method, String path) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + endpoints.address().getPort() + path);
        return http.send(
                HttpRequest.newBuilder(uri)
                        .method(method, HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        Counter.builder("modelpool.requests.received")
                .tag("capability", "text-embedding")
                .register(registry)
                .increment(3);
        HttpResponse<String> r = send("GET", "/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(HttpEndpoints.PROMETHEUS_TEXT);
        assertThat(Scrape.parse(r.body()).sum("modelpool_requests_received_total", "capability", "text-embedding"))
                .isEqualTo(3);
    }

    @Test
    void readinessAnswers200WhenReadyAnd503NamingTheFailedCheckOtherwise() throws Exception {
        assertThat(send("GET", "/health/ready").statusCode()).isEqualTo(200);
        readiness.set(NOT_READY);
        HttpResponse<String> r = send("GET", "/health/ready");
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = new ObjectMapper().readTree(r.body());
        assertThat(body.path("status").asText()).isEqualTo("NOT_READY");
        assertThat(body.path("checks").path("shutdown").path("ok").asBoolean()).isFalse();
        assertThat(body.path("checks").path("shutdown").path("detail").asText()).isEqualTo("shutting down");
        assertThat(body.path("checks").path("intake").path("ok").asBoolean()).isTrue();
    }

    @Test
    void livenessAnswers200WhateverReadinessSays() throws Exception {
        readiness.set(NOT_READY);
        HttpResponse<String> r = send("GET", "/health/live");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"status\":\"UP\"}");
    }

    @Test
    void livenessAnswers503NamingTheStallWhenTheIntakeLoopHasNotTurned() throws Exception {
        stalled.set("intake loop has not turned for 61000 ms");
        HttpResponse<String> r = send("GET", "/health/live");
        assertThat(r.statusCode()).isEqualTo(503);
        JsonNode body = new ObjectMapper().readTree(r.body());
        assertThat(body.path("status").asText()).isEqualTo("DOWN");
        assertThat(body.path("detail").asText()).contains("has not turned");
    }

    @Test
    void onlyGetAndHeadOnKnownPathsAreAnswered() throws Exception {
        assertThat(send("POST", "/metrics").statusCode()).isEqualTo(405);
        assertThat(send("HEAD", "/health/live").statusCode()).isEqualTo(200);
        assertThat(send("GET", "/health/livez").statusCode()).isEqualTo(404);
        assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    }
}
