package io.modelpool.worker.reliability;

import io.modelpool.worker.observe.Scrape;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Samples a worker's {@code /metrics} every {@code periodMs} on a thread of its own, keeping the values of one
 * expression (heap in use, queue depth, ...) over time. A scrape that fails (the worker is restarting or not yet
 * serving) is counted and skipped.
 *
 * <p>Thread safety: {@link #values()} may be called from the test thread while sampling goes on.
 */
final class MetricsWatch implements AutoCloseable {

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "metrics-watch");
        t.setDaemon(true);
        return t;
    });
    private final List<Double> values = new ArrayList<>();
    private int failedScrapes;

    private MetricsWatch(String baseUrl, long periodMs, ToDoubleFunction<Scrape> expression) {
        timer.scheduleAtFixedRate(
                () -> {
                    try {
                        double v = expression.applyAsDouble(Scrape.of(baseUrl));
                        synchronized (values) {
                            values.add(v);
                        }
                    } catch (IOException | IllegalStateException e) {
                        synchronized (values) {
                            failedScrapes++;
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                periodMs,
                periodMs,
                TimeUnit.MILLISECONDS);
    }

    static MetricsWatch start(int port, long periodMs, ToDoubleFunction<Scrape> expression) {
        return new MetricsWatch("http://127.0.0.1:" + port, periodMs, expression);
    }

    /** Heap in use, in bytes: the sum of {@code jvm_memory_used_bytes} over the heap pools. */
    static double heapUsed(Scrape s) {
        return s.sum("jvm_memory_used_bytes", "area", "heap");
    }

    List<Double> values() {
        synchronized (values) {
            return List.copyOf(values);
        }
    }

    int failedScrapes() {
        synchronized (values) {
            return failedScrapes;
        }
    }

    double max() {
        return values().stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** The largest value among the samples of the given half (0: first, 1: second) of the run. */
    double maxOfHalf(int half) {
        List<Double> v = values();
        List<Double> part = half == 0 ? v.subList(0, v.size() / 2) : v.subList(v.size() / 2, v.size());
        return part.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** A port free on 127.0.0.1 now (for a worker's http.port). */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port", e);
        }
    }
}
