package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.imageembedding.ImageEmbeddingProvider;
import io.modelpool.worker.capability.textembedding.TextEmbeddingProvider;
import io.modelpool.worker.capability.texttoimage.TextToImageProvider;
import io.modelpool.worker.capability.texttotext.TextToTextProvider;
import io.modelpool.worker.capability.vision.VisionProvider;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolMaintenance;
import io.modelpool.worker.pool.PoolRejectedException;
import io.modelpool.worker.runtime.OrtRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capability pools built from a manifest, and their shared lifecycle. One pool per capability that has
 * at least one model in the manifest; each capability's code comes from its {@link CapabilityProvider}.
 *
 * <p>Loading: {@link #fromManifest} validates everything first (a bad key, capability, family or parameter
 * stops start-up with a {@link ManifestException} naming it), reads tokenizers on the calling thread (tens of
 * milliseconds each), and starts every model's workers, which open their ONNX sessions on their own threads.
 * It does not wait for those loads: requests submitted meanwhile wait in the model's queue, and a model
 * whose sessions all fail to load answers MODEL_LOAD_FAILED. {@link #awaitLoaded} waits when a caller wants
 * to (tests, benchmarks, readiness).
 *
 * <p>Shutdown: {@link #beginShutdown()}, then {@link #awaitDrained(Duration)}, then {@link #abandon()} if
 * the drain timed out, then {@link #close(Duration)}. All methods are thread-safe.
 */
public final class CapabilityRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CapabilityRegistry.class);

    private final ModelManifest manifest;
    private final Map<Capability, OpenedCapability> opened;
    private final AtomicBoolean closed = new AtomicBoolean();

    private CapabilityRegistry(ModelManifest manifest, Map<Capability, OpenedCapability> opened) {
        this.manifest = manifest;
        this.opened = opened;
    }

    /**
     * The providers this build ships: text embedding ({@code encoder-embedding}), text-to-text
     * ({@code causal-lm}), text-to-image ({@code latent-diffusion}), vision ({@code pp-ocr}), image embedding
     * ({@code image-encoder}).
     */
    public static List<CapabilityProvider> defaultProviders() {
        return List.of(new TextEmbeddingProvider(), new TextToTextProvider(), new TextToImageProvider(),
                new VisionProvider(), new ImageEmbeddingProvider());
    }

    /** Builds the pools for {@code manifest} with the shared ONNX runtime and the default providers. */
    public static CapabilityRegistry fromManifest(ModelManifest manifest) {
        return fromManifest(manifest, OrtRuntime.shared(), defaultProviders());
    }

    /**
     * Builds the pools for {@code manifest} with the given providers (at most one per capability).
     *
     * @throws ManifestException when a model names a capability no provider serves, a family its provider
     *                           does not run, or family parameters the provider rejects
     */
    public static CapabilityRegistry fromManifest(ModelManifest manifest, OrtRuntime runtime,
                                                  List<CapabilityProvider> providers) {
        return fromManifest(manifest, runtime, providers, null);
    }

    /**
     * Builds the pools for {@code manifest} with the shared ONNX runtime and the default providers, for a worker
     * whose drain lasts {@code drainTimeout} ({@code shutdown.drain-timeout-ms}): a model whose
     * {@code shutdown-grace} is not below it stops start-up, since the work it lets run would outlive the drain.
     */
    public static CapabilityRegistry fromManifest(ModelManifest manifest, Duration drainTimeout) {
        return fromManifest(manifest, OrtRuntime.shared(), defaultProviders(), drainTimeout);
    }

    /**
     * As {@link #fromManifest(ModelManifest, OrtRuntime, List)}, and checks each model's shutdown grace (see
     * {@link CapabilityProvider#shutdownGrace}) against the drain timeout when one is given.
     *
     * @param drainTimeout the worker's drain timeout; null checks no grace
     */
    public static CapabilityRegistry fromManifest(ModelManifest manifest, OrtRuntime runtime,
                                                  List<CapabilityProvider> providers, Duration drainTimeout) {
        Map<Capability, CapabilityProvider> byCapability = new EnumMap<>(Capability.class);
        for (CapabilityProvider p : providers) {
            if (byCapability.put(p.capability(), p) != null) {
                throw new IllegalArgumentException("two providers for capability " + p.capability());
            }
        }
        Map<Capability, List<ModelDefinition>> models = new EnumMap<>(Capability.class);
        List<String> problems = new ArrayList<>();
        for (ModelDefinition m : manifest.models()) {
            Capability c = Capabilities.fromManifestName(m.capability());
            CapabilityProvider p = byCapability.get(c);
            if (p == null) {
                problems.add("model '" + m.key() + "': capability = '" + m.capability()
                        + "' is not served by this worker; allowed: " + names(byCapability.keySet()));
                continue;
            }
            if (!p.families().contains(m.family())) {
                problems.add("model '" + m.key() + "': family = '" + m.family() + "' is invalid for capability '"
                        + m.capability() + "'; allowed: " + String.join("|", new TreeSet<>(p.families())));
                continue;
            }
            try {
                p.validate(m);
            } catch (ManifestException e) {
                problems.add(e.getMessage());
                continue;
            }
            String grace = graceProblem(m, p, drainTimeout);
            if (grace != null) {
                problems.add(grace);
                continue;
            }
            models.computeIfAbsent(c, k -> new ArrayList<>()).add(m);
        }
        if (!problems.isEmpty()) {
            throw new ManifestException("invalid model manifest: " + String.join("; ", problems));
        }
        CapabilityContext context = new CapabilityContext(manifest, runtime);
        Map<Capability, OpenedCapability> opened = new EnumMap<>(Capability.class);
        try {
            for (Map.Entry<Capability, List<ModelDefinition>> e : models.entrySet()) {
                opened.put(e.getKey(), byCapability.get(e.getKey()).open(e.getValue(), context));
            }
        } catch (RuntimeException e) {
            new CapabilityRegistry(manifest, opened).close();
            throw e;
        }
        LOG.info("Capability registry started: {} (ONNX Runtime {})", describe(opened), runtime.version());
        return new CapabilityRegistry(manifest, Collections.unmodifiableMap(opened));
    }

    /** Why the model's shutdown grace does not fit in the drain, or null when it does (or no drain is given). */
    private static String graceProblem(ModelDefinition m, CapabilityProvider p, Duration drainTimeout) {
        if (drainTimeout == null) {
            return null;
        }
        return p.shutdownGrace(m).filter(grace -> grace.compareTo(drainTimeout) >= 0)
                .map(grace -> "model '" + m.key() + "': shutdown-grace = " + grace.toMillis() + " ms is not below "
                        + "shutdown.drain-timeout-ms = " + drainTimeout.toMillis() + "; lower the grace or raise the"
                        + " drain timeout, so that work cut at the grace still ends inside the drain")
                .orElse(null);
    }

    /** The manifest it was built from. */
    public ModelManifest manifest() {
        return manifest;
    }

    /** Capabilities with at least one model in the manifest. */
    public Set<Capability> enabled() {
        return Collections.unmodifiableSet(opened.keySet());
    }

    /**
     * The service for an enabled capability.
     *
     * @throws IllegalArgumentException when {@code capability} is not enabled
     */
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
                    states.put(key, o.pool().awaitLoaded(key,
                            Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
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
                ModelDefinition def = manifest.model(key).orElseThrow(
                        () -> new IllegalStateException("model '" + key + "' is in a pool but not in the manifest"));
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
            ModelPool<?, ?> pool = opened.values().stream().map(OpenedCapability::pool).filter(p -> p.hasModel(key))
                    .findFirst().orElseThrow(() -> new IllegalArgumentException("warm-up model '" + key
                            + "' is not in the manifest; allowed: " + new TreeSet<>(manifest.models().stream()
                            .map(ModelDefinition::key).toList())));
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
                LOG.warn("Capability {} keeps its tokenizers and processors open: some of its workers still run",
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
            throw new IllegalArgumentException("capability " + capability + " is not enabled; enabled: "
                    + names(opened.keySet()));
        }
        return o;
    }

    private static String names(Set<Capability> capabilities) {
        return capabilities.isEmpty() ? "none"
                : String.join("|", capabilities.stream().map(Capabilities::manifestName).toList());
    }

    private static String describe(Map<Capability, OpenedCapability> opened) {
        List<String> parts = new ArrayList<>();
        opened.forEach((c, o) -> parts.add(Capabilities.manifestName(c) + " " + new TreeSet<>(o.pool().models())));
        return String.join(", ", parts);
    }
}
