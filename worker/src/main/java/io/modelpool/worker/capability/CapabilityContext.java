package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.manifest.RequestLimits;
import io.modelpool.worker.runtime.OrtRuntime;
import java.util.Optional;

/** What a {@link CapabilityProvider} gets to build its pool: the whole manifest and the runtime. */
public record CapabilityContext(ModelManifest manifest, OrtRuntime runtime) {

    public RequestLimits limits() {
        return manifest.limits();
    }

    /**
     * The capability a manifest model serves, so that a service can answer a request naming another
     * capability's model with WRONG_CAPABILITY rather than UNKNOWN_MODEL.
     */
    public Optional<Capability> capabilityOf(String modelKey) {
        return manifest.model(modelKey).map(ModelDefinition::capability).map(Capabilities::fromManifestName);
    }
}
