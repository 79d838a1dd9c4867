package io.modelpool.worker.capability;

import io.modelpool.worker.pool.ModelPool;
import java.util.Objects;

/**
 * A capability built by its provider: the service the intake calls, the pool behind it, and resources
 * (tokenizers, processors) to close once the pool's workers have stopped.
 */
public record OpenedCapability(CapabilityService service, ModelPool<?, ?> pool, AutoCloseable resources) {

    public OpenedCapability {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(resources, "resources");
    }
}
