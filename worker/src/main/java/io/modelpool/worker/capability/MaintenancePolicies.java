package io.modelpool.worker.capability;

import io.modelpool.worker.manifest.Durations;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.MaintenancePolicy;
import io.modelpool.worker.runtime.ModelSource;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a manifest entry into the pool's {@link MaintenancePolicy}: its worker bounds, its idle-unload time and its
 * size estimate, which is the model file's size times the entry's {@code size-factor} per worker (each worker holds
 * its own session). Never looks at the model's key or family.
 */
final class MaintenancePolicies {

    private static final Logger LOG = LoggerFactory.getLogger(MaintenancePolicies.class);

    private MaintenancePolicies() {}

    /**
     * @param defaultIdleUnload the idle-unload time of entries that set none (zero: never)
     */
    public static MaintenancePolicy of(ModelDefinition def, Duration defaultIdleUnload) {
        Duration idleUnload = def.idleUnload() == null ? defaultIdleUnload : Durations.parse(def.idleUnload());
        long fileBytes = new ModelSource(def.source()).sizeBytes();
        if (fileBytes < 0) {
            LOG.warn(
                    "Model '{}': size of {} unknown; it counts as 0 bytes in the memory budget",
                    def.key(),
                    def.source());
        }
        long bytesPerWorker = fileBytes < 0 ? 0 : Math.round(fileBytes * def.sizeFactor());
        return new MaintenancePolicy(def.minWorkers(), def.maxWorkers(), idleUnload, bytesPerWorker);
    }
}
