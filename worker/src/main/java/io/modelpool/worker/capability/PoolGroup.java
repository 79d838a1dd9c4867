package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolMaintenance;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capability pools a worker runs, built by {@link CapabilityRegistry#fromManifest}, and their shared lifecycle:
 * loading and warm-up, maintenance, and shutdown. The Kafka intake sees it only as {@link CapabilityServices}.
 *
 * <p>Shutdown: {@link #beginShutdown()}, then {@link #awaitDrained(Duration)}, then {@link #abandon()} if
 * the drain timed out, then {@link #close(Duration)}. All methods are thread-safe.
 */
public final class PoolGroup implements CapabilityServices, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PoolGroup.class);

    private final ModelManifest manifest;
    private final Map<Capability, OpenedCapability> opened;
    private final AtomicBoolean closed = new AtomicBoolean();

    PoolGroup(ModelManifest manifest, Map<Capability, OpenedCapability> opened) {
        this.manifest = manifest;
        this.opened = opened;
    }

    /** The manifest it was built from. */
    public ModelManifest manifest() {
        return manifest;
    }

    /** Capabilities with at least one model in the manifest. */
    @Override
    public Set<Capability> enabled() {
        return Collections.unmodifiableSet(opened.keySet());
    }

    /**
     * The service for an enabled capability.
     *
     * @throws IllegalArgumentException when {@code capability} is not enabled
     */
    @Override
    public CapabilityService service(Capability capability) {
        return openedOf(capability).service();
    }

    /** The pool behind an enabled capability, for metrics, tests and benchmarks. */
    public ModelPool<?, ?> pool(Capability capability) {
        return openedOf(capability).pool();
    }

    /** Queued plus running tasks across all pools; the intake's backpressure signal. */
    public int pending() {
        int sum = 0;
        for (OpenedCapability o : opened.values()) {
            sum += o.pool().pending();
        }
        return sum;
    }

    /**
     * The estimated seconds of work queued and running across all pools: per model, the summed cost of its
     * unfinished tasks times its learned seconds per cost unit, divided by its workers (see
     * {@link ModelPool#estimatedSeconds(String)}). {@link Double#POSITIVE_INFINITY} while a model with work has not
     * completed a batch yet, so admission by work stays conservative until every busy model has shown its speed.
     */
    @Override
    public double estimatedSecondsInFlight() {
        double sum = 0;
        for (OpenedCapability o : opened.values()) {
            sum += o.pool().estimatedSecondsInFlight();
        }
        return sum;
    }

    /**
     * Waits up to {@code timeout} in all for every model to finish loading (or fail) and returns each model's
     * state by key.
     */
    public Map<String, ModelState> awaitLoaded(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, ModelState> states = new LinkedHashMap<>();
        for (OpenedCapability o : opened.values()) {
            for (String key : new TreeSet<>(o.pool().models())) {
                try {
                    states.put(
                            key,
                            o.pool().awaitLoaded(key, Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
                } catch (PoolRejectedException e) {
                    throw new IllegalStateException("model '" + key + "' vanished from its pool", e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return states;
                }
            }
        }
        return states;
    }

    /**
     * Sets each model's maintenance policy from its manifest entry (worker bounds, idle-unload time, size estimate;
     * see {@link MaintenancePolicies}) and starts one {@link PoolMaintenance} over every pool, so that all of this
     * worker's models share one memory budget. The caller stops it as part of its shutdown sequence
     * ({@link PoolMaintenance#beginShutdown()}, then {@link PoolMaintenance#close()} before {@link #close()}).
     *
     * @param defaultIdleUnload the idle-unload time of models whose entry sets none; zero never unloads them
     */
    public PoolMaintenance startMaintenance(PoolMaintenance.Settings settings, Duration defaultIdleUnload) {
        List<ModelPool<?, ?>> pools = new ArrayList<>();
        for (OpenedCapability o : opened.values()) {
            ModelPool<?, ?> pool = o.pool();
            pools.add(pool);
            for (String key : pool.models()) {
                ModelDefinition def = manifest.model(key)
                        .orElseThrow(() ->
                                new IllegalStateException("model '" + key + "' is in a pool but not in the manifest"));
                try {
                    pool.setPolicy(key, MaintenancePolicies.of(def, defaultIdleUnload));
                } catch (PoolRejectedException e) {
                    throw new IllegalStateException("model '" + key + "' vanished from its pool", e);
                }
            }
        }
        return PoolMaintenance.start(pools, settings);
    }

    /**
     * Starts loading the given models now rather than on their first request (warm-up); returns at once.
     *
     * @throws IllegalArgumentException naming a key that no pool serves
     */
    public void warmUp(List<String> keys) {
        for (String key : keys) {
            ModelPool<?, ?> pool = opened.values().stream()
                    .map(OpenedCapability::pool)
                    .filter(p -> p.hasModel(key))
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("warm-up model '" + key
                            + "' is not in the manifest; allowed: "
                            + new TreeSet<>(manifest.models().stream()
                                    .map(ModelDefinition::key)
                                    .toList())));
            try {
                pool.load(key);
            } catch (PoolRejectedException e) {
                throw new IllegalStateException("model '" + key + "' vanished from its pool", e);
            }
        }
        if (!keys.isEmpty()) {
            LOG.info("Warm-up: loading {}", keys);
        }
    }

    /** Every pool rejects new work with {@code PoolError.ShuttingDown}; queued work still runs. */
    @Override
    public void beginShutdown() {
        for (OpenedCapability o : opened.values()) {
            o.pool().beginShutdown();
        }
    }

    public boolean isShuttingDown() {
        return opened.values().stream().allMatch(o -> o.pool().isShuttingDown());
    }

    /**
     * True when all queued and running work finished within {@code timeout} (shared across pools); false on
     * timeout or interrupt.
     */
    public boolean awaitDrained(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (OpenedCapability o : opened.values()) {
            if (!o.pool().awaitDrained(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                return false;
            }
        }
        return true;
    }

    /**
     * After a timed-out drain: fails every unfinished task (their requests complete with SHUTTING_DOWN error
     * results, retryable) and returns how many tasks that was.
     */
    @Override
    public int abandon() {
        int count = 0;
        for (OpenedCapability o : opened.values()) {
            count += o.pool().abandon();
        }
        return count;
    }

    /** Closes within {@link ModelPool#DEFAULT_CLOSE_BUDGET}; see {@link #close(Duration)}. */
    @Override
    public void close() {
        close(ModelPool.DEFAULT_CLOSE_BUDGET);
    }

    /**
     * Stops every pool's workers (each closes its ONNX sessions) and closes the capabilities' resources (tokenizers,
     * processors), all within {@code budget} in total: the pools share it one after another (see
     * {@link ModelPool#close(Duration)}; runs abandoned by a timed-out drain are terminated, not waited for). A
     * capability whose workers did not all end keeps its resources open, since a worker left running may still use
     * them; the process's exit frees them. Idempotent: a later call returns at once.
     *
     * @return true when every worker ended and every resource was closed within the budget
     */
    public boolean close(Duration budget) {
        if (!closed.compareAndSet(false, true)) {
            return true;
        }
        long deadline = System.nanoTime() + Math.max(0, budget.toNanos());
        boolean clean = true;
        for (OpenedCapability o : opened.values()) {
            o.pool().beginShutdown();
        }
        for (OpenedCapability o : opened.values()) {
            Capability capability = o.service().capability();
            if (!o.pool().close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                clean = false;
                LOG.warn(
                        "Capability {} keeps its tokenizers and processors open: some of its workers still run",
                        capability);
                continue;
            }
            try {
                o.resources().close();
            } catch (Exception e) {
                clean = false;
                LOG.warn("Closing resources of capability {} failed", capability, e);
            }
        }
        return clean;
    }

    private OpenedCapability openedOf(Capability capability) {
        OpenedCapability o = opened.get(capability);
        if (o == null) {
            throw new IllegalArgumentException(
                    "capability " + capability + " is not enabled; enabled: " + names(opened.keySet()));
        }
        return o;
    }

    private static String names(Set<Capability> capabilities) {
        return capabilities.isEmpty()
                ? "none"
                : String.join(
                        "|",
                        capabilities.stream().map(Capabilities::manifestName).toList());
    }
}
