package io.modelpool.worker.observe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's one small HTTP server (the JDK's {@link HttpServer}):
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter in the Prometheus text format (0.0.4);</li>
 *   <li>{@code GET /health/live}: 200 while the intake loop turns, 503 once it has not turned for
 *       {@code health.liveness-stall-ms};</li>
 *   <li>{@code GET /health/ready}: 200 when {@link Readiness} says ready, 503 otherwise; the JSON body names
 *       each check.</li>
 * </ul>
 *
 * <p>Requests run on two daemon threads with a bounded queue; when it is full the server's own dispatcher thread
 * answers, which slows the clients down rather than queueing without bound. Only GET and HEAD are allowed.
 */
final class HttpEndpoints implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HttpEndpoints.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer server;
    private final ThreadPoolExecutor executor;
    private volatile Boolean lastReady;

    private HttpEndpoints(HttpServer server, ThreadPoolExecutor executor) {
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code address} and starts serving.
     *
     * @throws UncheckedIOException when the address cannot be bound (for example, the port is in use)
     */
    static HttpEndpoints start(
            InetSocketAddress address,
            PrometheusMeterRegistry registry,
            Supplier<Readiness.Report> readiness,
            Supplier<String> stalled) {
        HttpServer server;
        try {
            server = HttpServer.create(address, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot serve HTTP on " + address + " (http.bind-address, http.port): " + e.getMessage(), e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(
                2,
                2,
                0,
                TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(16),
                r -> {
                    Thread t = new Thread(r, "modelpool-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.CallerRunsPolicy());
        server.setExecutor(executor);
        HttpEndpoints endpoints = new HttpEndpoints(server, executor);
        server.createContext("/metrics", guarded(exchange -> {
            ByteArrayOutputStream body = new ByteArrayOutputStream(64 * 1024);
            registry.scrape(body);
            send(exchange, 200, PROMETHEUS_TEXT, body.toByteArray());
        }));
        server.createContext("/health/live", guarded(exchange -> {
            String why = stalled.get();
            ObjectNode body = JSON.createObjectNode().put("status", why == null ? "UP" : "DOWN");
            if (why != null) {
                body.put("detail", why);
            }
            send(exchange, why == null ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
        }));
        server.createContext("/health/ready", guarded(exchange -> {
            Readiness.Report report = readiness.get();
            endpoints.logChange(report);
            ObjectNode body = JSON.createObjectNode().put("status", report.ready() ? "READY" : "NOT_READY");
            ObjectNode checks = body.putObject("checks");
            for (Readiness.Check c : report.checks()) {
                checks.putObject(c.name()).put("ok", c.ok()).put("detail", c.detail());
            }
            send(exchange, report.ready() ? 200 : 503, "application/json", JSON.writeValueAsBytes(body));
        }));
        server.start();
        log.info("HTTP endpoints on {}: /metrics, /health/live, /health/ready", endpoints.address());
        return endpoints;
    }

    /** The bound address (with the actual port). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    private void logChange(Readiness.Report report) {
        Boolean before = lastReady;
        if (before == null || before != report.ready()) {
            lastReady = report.ready();
            if (report.ready()) {
                log.info("Worker is ready");
            } else {
                log.info(
                        "Worker is not ready: {}",
                        report.checks().stream()
                                .filter(c -> !c.ok())
                                .map(c -> c.name() + " (" + c.detail() + ")")
                                .toList());
            }
        }
    }

    private static HttpHandler guarded(HttpHandler handler) {
        return exchange -> {
            try (exchange) {
                String method = exchange.getRequestMethod();
                if (!"GET".equals(method) && !"HEAD".equals(method)) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    send(
                            exchange,
                            405,
                            "text/plain; charset=utf-8",
                            "only GET and HEAD\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                String path = exchange.getRequestURI().getPath();
                if (!path.equals(exchange.getHttpContext().getPath())) {
                    send(exchange, 404, "text/plain; charset=utf-8", "not found\n".getBytes(StandardCharsets.UTF_8));
                    return;
                }
                handler.handle(exchange);
            } catch (IOException | RuntimeException e) {
                // the client went away or a meter failed to render; the next request starts afresh
                log.debug("HTTP request {} failed: {}", exchange.getRequestURI(), e.toString());
            }
        };
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops accepting and closes open exchanges at once (a scrape cut short is retried by Prometheus). */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
