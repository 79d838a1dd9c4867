package io.modelpool.worker.observe;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.config.WorkerConfig;
import io.modelpool.worker.kafka.IntakeListener;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker's observability, built by the composition root: the Prometheus meter registry with modelpool's meters
 * (see {@link MeterNames} and docs/metrics.md), JVM, GC, process and Kafka client meters, and, when
 * {@code http.port} is not 0, the HTTP endpoints and the dependency probe behind readiness.
 *
 * <p>Order of use: {@link #create} (binds the port, so a port in use stops start-up before Kafka clients exist),
 * {@link #intakeListener} and {@link #bindKafkaClients} while wiring the intake, {@link #watchIntake} once the
 * intake exists, {@link #close()} after the shutdown sequence. Until {@link #watchIntake} the worker is not ready.
 * Every method is thread-safe; {@link #close()} is idempotent and stops the HTTP server, the probe and the
 * binders' threads.
 */
public final class Observability implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Observability.class);

    private final PrometheusMeterRegistry registry;
    private final IntakeObserver intakeObserver;
    private final Readiness readiness;
    private final DependencyProbe probe;
    private final HttpEndpoints endpoints;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final ScheduledExecutorService kafkaMetricsRefresh;
    private boolean closed;

    private Observability(
            PrometheusMeterRegistry registry,
            IntakeObserver intakeObserver,
            Readiness readiness,
            DependencyProbe probe,
            HttpEndpoints endpoints,
            ScheduledExecutorService kafkaMetricsRefresh) {
        this.registry = registry;
        this.intakeObserver = intakeObserver;
        this.readiness = readiness;
        this.probe = probe;
        this.endpoints = endpoints;
        this.kafkaMetricsRefresh = kafkaMetricsRefresh;
    }

    /**
     * Builds the registry and the pool meters of {@code capabilities}, binds JVM and process meters, and, when
     * {@code http.port} is not 0, starts the dependency probe and serves the HTTP endpoints.
     *
     * @throws java.io.UncheckedIOException when the HTTP address cannot be bound
     */
    public static Observability create(WorkerConfig config, PoolGroup capabilities) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        List<AutoCloseable> binders = new ArrayList<>();
        for (MeterBinder binder : List.of(
                new JvmMemoryMetrics(),
                new JvmThreadMetrics(),
                new ClassLoaderMetrics(),
                new JvmInfoMetrics(),
                new ProcessorMetrics(),
                new UptimeMetrics(),
                new FileDescriptorMetrics())) {
            binder.bindTo(registry);
        }
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        binders.add(gc);
        PoolMeters.bind(registry, capabilities, config.poolMemoryBudgetBytes());
        Map<Capability, Set<String>> served = new EnumMap<>(Capability.class);
        for (Capability c : capabilities.enabled()) {
            served.put(c, capabilities.pool(c).models());
        }
        IntakeObserver intakeObserver = new IntakeObserver(registry, served);
        Map<Capability, DoubleSupplier> secondsPerRequest = new EnumMap<>(Capability.class);
        for (Capability c : capabilities.enabled()) {
            secondsPerRequest.put(c, capabilities.pool(c)::recentSecondsPerSubmission);
        }
        BacklogMeters.bind(registry, config.topicPrefix(), secondsPerRequest);

        DependencyProbe probe = null;
        HttpEndpoints endpoints = null;
        Readiness readiness;
        if (config.httpPort() == 0) {
            readiness = new Readiness(capabilities, null);
        } else {
            probe = new DependencyProbe(
                    Admin.create(adminSettings(config)),
                    registryUrls(config),
                    config.healthCheckInterval(),
                    config.healthCheckTimeout());
            readiness = new Readiness(capabilities, probe);
            try {
                endpoints = HttpEndpoints.start(
                        new InetSocketAddress(config.httpBindAddress(), config.httpPort()),
                        registry,
                        readiness::evaluate,
                        () -> readiness.stalled(config.livenessStall().toNanos()));
            } catch (RuntimeException e) {
                probe.close();
                gc.close();
                registry.close();
                throw e;
            }
            probe.start();
        }
        ScheduledExecutorService refresh = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modelpool-kafka-metrics");
            t.setDaemon(true);
            return t;
        });
        Observability o = new Observability(registry, intakeObserver, readiness, probe, endpoints, refresh);
        o.closeables.addAll(binders);
        if (probe != null) {
            Gauge.builder(MeterNames.WORKER_READY, readiness, r -> r.evaluate().ready() ? 1 : 0)
                    .description("1 while /health/ready answers 200, else 0")
                    .strongReference(true)
                    .register(registry);
        }
        return o;
    }

    /** The intake listener to pass to the intake: the metrics first, then {@code also} (tests, callers). */
    public IntakeListener intakeListener(IntakeListener also) {
        return also == null || also == IntakeListener.NONE ? intakeObserver : new BothListeners(intakeObserver, also);
    }

    /**
     * Binds the Kafka client metrics of the intake's consumer and producer ({@code kafka.consumer.*}, including
     * {@code kafka.consumer.fetch.manager.records.lag} per partition, and {@code kafka.producer.*}). The binders
     * read only the clients' thread-safe {@code metrics()}, on their own thread.
     */
    public void bindKafkaClients(Consumer<?, ?> consumer, Producer<?, ?> producer) {
        KafkaClientMetrics consumerMetrics =
                new KafkaClientMetrics(consumer, Tags.empty(), kafkaMetricsRefresh, Duration.ofSeconds(5));
        KafkaClientMetrics producerMetrics =
                new KafkaClientMetrics(producer, Tags.empty(), kafkaMetricsRefresh, Duration.ofSeconds(5));
        consumerMetrics.bindTo(registry);
        producerMetrics.bindTo(registry);
        synchronized (this) {
            closeables.add(consumerMetrics);
            closeables.add(producerMetrics);
        }
    }

    /**
     * Readiness and liveness follow the intake from now on: ready needs a running intake and no shutdown; live
     * needs its loop to have turned within {@code health.liveness-stall-ms}.
     *
     * @param assigned     whether the consumer holds a partition (for example {@code intake::hasAssignment})
     * @param shuttingDown whether a shutdown has begun (for example {@code intake::shutdownRequested})
     * @param lastTurnNanos when the intake loop last turned ({@link System#nanoTime()})
     */
    public void watchIntake(BooleanSupplier assigned, BooleanSupplier shuttingDown, LongSupplier lastTurnNanos) {
        readiness.watchIntake(new Readiness.IntakeState(assigned, shuttingDown, lastTurnNanos));
    }

    /** The registry; the worker's meters, for tests and benchmarks. */
    public PrometheusMeterRegistry registry() {
        return registry;
    }

    /** Where the HTTP endpoints listen (with the actual port), or empty when {@code http.port} is 0. */
    public Optional<InetSocketAddress> httpAddress() {
        return Optional.ofNullable(endpoints).map(HttpEndpoints::address);
    }

    /** Whether {@code /health/ready} would answer 200 now; false whenever the endpoints are off. */
    public boolean ready() {
        return probe != null && readiness.evaluate().ready();
    }

    /** Closes within {@link DependencyProbe#CLOSE_BUDGET}; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(DependencyProbe.CLOSE_BUDGET);
    }

    /**
     * Stops the HTTP server, the probe and the binders' threads. Only the probe's admin client waits on the network,
     * and for at most {@code budget} (the shutdown passes what is left of its deadline). Idempotent.
     */
    public synchronized void close(Duration budget) {
        if (closed) {
            return;
        }
        closed = true;
        if (endpoints != null) {
            endpoints.close();
        }
        if (probe != null) {
            probe.close(budget);
        }
        for (AutoCloseable c : closeables) {
            try {
                c.close();
            } catch (Exception e) {
                log.warn("Closing meter binder {} failed", c.getClass().getSimpleName(), e);
            }
        }
        kafkaMetricsRefresh.shutdownNow();
        registry.close();
    }

    private static Map<String, Object> adminSettings(WorkerConfig config) {
        Map<String, Object> m = new HashMap<>(config.kafkaCommonOverrides());
        m.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        m.put(AdminClientConfig.CLIENT_ID_CONFIG, config.workerId() + "-health");
        int timeoutMs = (int) config.healthCheckTimeout().toMillis();
        m.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, timeoutMs);
        m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, timeoutMs);
        return m;
    }

    private static List<URI> registryUrls(WorkerConfig config) {
        List<URI> urls = new ArrayList<>();
        for (String s : String.valueOf(config.registryConfig().get(WorkerConfig.SCHEMA_REGISTRY_URL))
                .split(",")) {
            if (!s.isBlank()) {
                urls.add(URI.create(s.trim()));
            }
        }
        return urls;
    }
}
