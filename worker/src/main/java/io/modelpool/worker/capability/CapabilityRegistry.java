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
import io.modelpool.worker.runtime.OrtRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The capability providers and the manifest's validation against them: which capability and family each model
 * names, its family parameters and its shutdown grace. One {@link PoolGroup} comes out of a valid manifest, one pool
 * per capability that has at least one model in it; each capability's code comes from its
 * {@link CapabilityProvider}.
 *
 * <p>Loading: {@link #fromManifest} validates everything first (a bad key, capability, family or parameter
 * stops start-up with a {@link ManifestException} naming it), reads tokenizers on the calling thread (tens of
 * milliseconds each), and starts every model's workers, which open their ONNX sessions on their own threads.
 * It does not wait for those loads: requests submitted meanwhile wait in the model's queue, and a model
 * whose sessions all fail to load answers MODEL_LOAD_FAILED. {@link PoolGroup#awaitLoaded} waits when a caller
 * wants to (tests, benchmarks, readiness).
 */
public final class CapabilityRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(CapabilityRegistry.class);

    private CapabilityRegistry() {}

    /**
     * The providers this build ships: text embedding ({@code encoder-embedding}), text-to-text
     * ({@code causal-lm}), text-to-image ({@code latent-diffusion}), vision ({@code pp-ocr}), image embedding
     * ({@code image-encoder}).
     */
    public static List<CapabilityProvider> defaultProviders() {
        return List.of(
                new TextEmbeddingProvider(),
                new TextToTextProvider(),
                new TextToImageProvider(),
                new VisionProvider(),
                new ImageEmbeddingProvider());
    }

    /** Builds the pools for {@code manifest} with the shared ONNX runtime and the default providers. */
    public static PoolGroup fromManifest(ModelManifest manifest) {
        return fromManifest(manifest, OrtRuntime.shared(), defaultProviders());
    }

    /**
     * Builds the pools for {@code manifest} with the given providers (at most one per capability).
     *
     * @throws ManifestException when a model names a capability no provider serves, a family its provider
     *                           does not run, or family parameters the provider rejects
     */
    public static PoolGroup fromManifest(
            ModelManifest manifest, OrtRuntime runtime, List<CapabilityProvider> providers) {
        return fromManifest(manifest, runtime, providers, null);
    }

    /**
     * Builds the pools for {@code manifest} with the shared ONNX runtime and the default providers, for a worker
     * whose drain lasts {@code drainTimeout} ({@code shutdown.drain-timeout-ms}): a model whose
     * {@code shutdown-grace} is not below it stops start-up, since the work it lets run would outlive the drain.
     */
    public static PoolGroup fromManifest(ModelManifest manifest, Duration drainTimeout) {
        return fromManifest(manifest, OrtRuntime.shared(), defaultProviders(), drainTimeout);
    }

    /**
     * As {@link #fromManifest(ModelManifest, OrtRuntime, List)}, and checks each model's shutdown grace (see
     * {@link CapabilityProvider#shutdownGrace}) against the drain timeout when one is given.
     *
     * @param drainTimeout the worker's drain timeout; null checks no grace
     */
    public static PoolGroup fromManifest(
            ModelManifest manifest, OrtRuntime runtime, List<CapabilityProvider> providers, Duration drainTimeout) {
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
            new PoolGroup(manifest, opened).close();
            throw e;
        }
        LOG.info("Capability pools started: {} (ONNX Runtime {})", describe(opened), runtime.version());
        return new PoolGroup(manifest, Collections.unmodifiableMap(opened));
    }

    /** Why the model's shutdown grace does not fit in the drain, or null when it does (or no drain is given). */
    private static String graceProblem(ModelDefinition m, CapabilityProvider p, Duration drainTimeout) {
        if (drainTimeout == null) {
            return null;
        }
        return p.shutdownGrace(m)
                .filter(grace -> grace.compareTo(drainTimeout) >= 0)
                .map(grace -> "model '" + m.key() + "': shutdown-grace = " + grace.toMillis() + " ms is not below "
                        + "shutdown.drain-timeout-ms = " + drainTimeout.toMillis() + "; lower the grace or raise the"
                        + " drain timeout, so that work cut at the grace still ends inside the drain")
                .orElse(null);
    }

    private static String names(Set<Capability> capabilities) {
        return capabilities.isEmpty()
                ? "none"
                : String.join(
                        "|",
                        capabilities.stream().map(Capabilities::manifestName).toList());
    }

    private static String describe(Map<Capability, OpenedCapability> opened) {
        List<String> parts = new ArrayList<>();
        opened.forEach((c, o) -> parts.add(
                Capabilities.manifestName(c) + " " + new TreeSet<>(o.pool().models())));
        return String.join(", ", parts);
    }
}
