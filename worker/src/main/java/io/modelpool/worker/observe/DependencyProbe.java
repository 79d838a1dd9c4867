package io.modelpool.worker.observe;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, on its own thread and at a fixed interval, that the Kafka cluster and the schema registry answer, and
 * keeps the last answer for readiness to read. Readiness never waits on the network and the intake thread never
 * runs a check.
 *
 * <p>Broker: a {@code describeCluster} through a dedicated admin client. Registry: {@code GET /config} on each
 * configured URL until one answers with any status below 500 (a 401 still proves the registry is there). Every
 * check is bounded by the timeout. A result older than three intervals plus the timeout counts as unknown, so a
 * stuck probe makes the worker not ready rather than ready forever. Reachability changes are logged once each.
 *
 * <p>{@link #close(Duration)} stops the thread and the admin client within a budget; the last results stay
 * readable.
 */
final class DependencyProbe implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DependencyProbe.class);
    /** The longest {@link #close} waits for the admin client's requests in flight. */
    static final Duration CLOSE_BUDGET = Duration.ofSeconds(1);

    /** The outcome of one check; {@code checkedAtNanos} is a {@link System#nanoTime()} value, 0 before any. */
    record Status(boolean reachable, String detail, long checkedAtNanos) {
        static final Status UNKNOWN = new Status(false, "not checked yet", 0);
    }

    private final Admin admin;
    private final List<URI> registryUrls;
    private final HttpClient http;
    private final Duration interval;
    private final Duration timeout;
    private final ScheduledExecutorService thread;
    private volatile Status broker = Status.UNKNOWN;
    private volatile Status registry = Status.UNKNOWN;

    DependencyProbe(Admin admin, List<URI> registryUrls, Duration interval, Duration timeout) {
        this.admin = admin;
        this.registryUrls = List.copyOf(registryUrls);
        this.interval = interval;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "modelpool-health-probe");
            t.setDaemon(true);
            return t;
        });
    }

    void start() {
        thread.scheduleWithFixedDelay(this::checkAll, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    Status broker() {
        return fresh(broker);
    }

    Status registry() {
        return fresh(registry);
    }

    private Status fresh(Status s) {
        if (s.checkedAtNanos() == 0) {
            return s;
        }
        long maxAge = interval.multipliedBy(3).plus(timeout).toNanos();
        if (System.nanoTime() - s.checkedAtNanos() > maxAge) {
            return new Status(false, "last check is stale: " + s.detail(), s.checkedAtNanos());
        }
        return s;
    }

    private void checkAll() {
        try {
            broker = logChange("Kafka cluster", broker, checkBroker());
            registry = logChange("Schema registry", registry, checkRegistry());
        } catch (RuntimeException e) {
            // a probe that throws must not end the schedule: the next run checks again
            log.warn("Dependency check failed unexpectedly", e);
        }
    }

    private Status checkBroker() {
        long now = System.nanoTime();
        try {
            String clusterId = admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
                    .clusterId()
                    .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Status(true, "cluster " + clusterId, now);
        } catch (ExecutionException e) {
            return new Status(false, String.valueOf(e.getCause()), now);
        } catch (TimeoutException e) {
            return new Status(false, "no answer within " + timeout.toMillis() + " ms", now);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Status(false, "check interrupted", now);
        }
    }

    private Status checkRegistry() {
        long now = System.nanoTime();
        String last = "no registry URL configured";
        for (URI base : registryUrls) {
            URI uri = base.resolve(base.getPath().endsWith("/") ? "config" : base.getPath() + "/config");
            HttpRequest request =
                    HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
            try {
                HttpResponse<Void> response = http.send(request, HttpResponse.BodyHandlers.discarding());
                if (response.statusCode() < 500) {
                    return new Status(true, base + " answered " + response.statusCode(), now);
                }
                last = base + " answered " + response.statusCode();
            } catch (java.io.IOException e) {
                last = base + ": " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Status(false, "check interrupted", now);
            }
        }
        return new Status(false, last, now);
    }

    private static Status logChange(String what, Status before, Status after) {
        if (after.reachable() && !before.reachable() && before.checkedAtNanos() != 0) {
            log.info("{} reachable again ({})", what, after.detail());
        } else if (!after.reachable() && (before.reachable() || before.checkedAtNanos() == 0)) {
            log.warn("{} unreachable from the readiness check: {}", what, after.detail());
        }
        return after;
    }

    /** Closes within {@link #CLOSE_BUDGET}; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(CLOSE_BUDGET);
    }

    /**
     * Stops the thread and closes the admin client, waiting at most {@code budget} (and never more than
     * {@link #CLOSE_BUDGET}) for its requests in flight; with no budget left they are dropped at once.
     */
    void close(Duration budget) {
        thread.shutdownNow();
        Duration wait = budget.isNegative() ? Duration.ZERO : budget;
        admin.close(wait.compareTo(CLOSE_BUDGET) < 0 ? wait : CLOSE_BUDGET);
    }
}
