package io.modelpool.devstack.registry;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Confluent-compatible schema registry for Avro, served over HTTP and stored in a compacted Kafka topic.
 *
 * <p>It is the local and test default; deployments use Confluent's registry, which speaks the same REST API.
 * Schema ids live in the topic, so they survive a restart of the registry, and any number of instances on one
 * topic hand out the same id for the same schema and never one id for two schemas.
 *
 * <p>{@link #start} returns once the store topic exists, has been read, and the HTTP port is bound. Requests are
 * served by {@value #THREADS} threads with a queue of {@value #QUEUE} requests; beyond that the accepting
 * thread serves the request itself, which slows intake rather than growing a queue. After {@link #close()} the
 * port is released and the Kafka clients are closed; close is idempotent.
 */
public final class SchemaRegistryServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryServer.class);
    // Threads mostly wait: a lookup of an unknown id waits for a shared catch-up, so more of them share each one.
    private static final int THREADS = 16;
    private static final String NO_DELAY = "sun.net.httpserver.nodelay";
    private static final int QUEUE = 256;
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final RegistrySettings settings;
    private final RegistryService service;
    private final HttpServer http;
    private final ThreadPoolExecutor executor;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private SchemaRegistryServer(
            RegistrySettings settings, RegistryService service, HttpServer http, ThreadPoolExecutor executor) {
        this.settings = settings;
        this.service = service;
        this.http = http;
        this.executor = executor;
        this.port = http.getAddress().getPort();
    }

    /** Starts a registry on 127.0.0.1:{@code port} (0 = any free port) storing in {@code _schemas}. */
    public static SchemaRegistryServer start(String bootstrapServers, int port) {
        return start(RegistrySettings.defaults(bootstrapServers, port));
    }

    /**
     * Starts a registry.
     *
     * @throws RegistryException     with code 50001 if the Kafka cluster cannot be reached within the store timeout
     * @throws UncheckedIOException  if the HTTP port cannot be bound
     */
    public static SchemaRegistryServer start(RegistrySettings settings) {
        long began = System.nanoTime();
        disableNagle();
        RegistryService service =
                new RegistryService(settings.bootstrapServers(), settings.topic(), settings.storeTimeout());
        int instance = INSTANCES.incrementAndGet();
        AtomicInteger threads = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(
                THREADS,
                THREADS,
                30,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE),
                r -> {
                    Thread t = new Thread(r, "schema-registry-" + instance + "-http-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                },
                new ThreadPoolExecutor.CallerRunsPolicy());
        executor.allowCoreThreadTimeOut(true);
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        } catch (IOException e) {
            executor.shutdownNow();
            service.close();
            throw new UncheckedIOException(
                    "schema registry cannot listen on " + settings.host() + ":" + settings.port() + ": "
                            + e.getMessage(),
                    e);
        }
        http.createContext("/", new RegistryHttpHandler(service));
        http.setExecutor(executor);
        http.start();
        SchemaRegistryServer server = new SchemaRegistryServer(settings, service, http, executor);
        log.info(
                "Schema registry serving {} from topic {} on {} in {} ms",
                server.url(),
                settings.topic(),
                settings.bootstrapServers(),
                (System.nanoTime() - began) / 1_000_000);
        return server;
    }

    /**
     * Turns Nagle's algorithm off for the JDK's HTTP server unless {@value #NO_DELAY} is set already. The server
     * writes a response's headers and its body as two segments; with Nagle on, the body waits for the client's
     * delayed acknowledgement of the headers (40 ms on Linux) on every request of a keep-alive connection after its
     * first, which held each client connection to about 23 requests a second (measured: 43 ms per lookup of a known
     * id over one connection, 3 ms for the first). The JDK reads the property once, when the first server in the JVM
     * is configured, so the registry sets it before creating its server.
     */
    private static void disableNagle() {
        if (System.getProperty(NO_DELAY) == null) {
            System.setProperty(NO_DELAY, "true");
        }
    }

    /** The base URL clients use, such as {@code http://127.0.0.1:8081}. */
    public String url() {
        return "http://" + settings.host() + ":" + port();
    }

    public int port() {
        return port;
    }

    public RegistrySettings settings() {
        return settings;
    }

    /** Stops serving, waits briefly for requests in progress, and closes the Kafka clients. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        http.stop(0);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                log.warn("Schema registry {} requests still running after 5 s; interrupting them", url());
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            executor.shutdownNow();
        } finally {
            service.close();
        }
        log.info("Schema registry {} stopped", url());
    }
}
