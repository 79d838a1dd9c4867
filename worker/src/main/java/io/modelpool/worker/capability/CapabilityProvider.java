package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Plugs one capability into the {@link CapabilityRegistry}. A provider serves the model families it names;
 * the manifest's {@code family} field picks among them, so adding a model of a known family is a manifest
 * change, and adding a family is a change to one provider, never to the pool core.
 *
 * <p>Threading: called on the thread that builds the registry, before any request is handled.
 */
public interface CapabilityProvider {

    /** The capability it serves. */
    Capability capability();

    /** The {@code family} values it can run. */
    Set<String> families();

    /**
     * Checks a model's family parameters, before anything loads.
     *
     * @throws ManifestException naming the model key, the parameter, the value and what is allowed
     */
    void validate(ModelDefinition model);

    /**
     * How long a model's work in flight may still run once the worker began shutting down, for families that cut
     * long work at a grace (generations, denoising loops); empty for families whose batches are short. The registry
     * refuses a grace that is not below the worker's drain timeout, since the work it lets run would then outlive
     * the drain. Called after {@link #validate}.
     */
    default Optional<Duration> shutdownGrace(ModelDefinition model) {
        return Optional.empty();
    }

    /**
     * Builds the capability's pool for its manifest models (all of this capability, already validated) and
     * the service over it. Sessions load on the pool's worker threads, so this returns without waiting for
     * model loads; light per-model resources (tokenizers) may be read here.
     */
    OpenedCapability open(List<ModelDefinition> models, CapabilityContext context);
}
