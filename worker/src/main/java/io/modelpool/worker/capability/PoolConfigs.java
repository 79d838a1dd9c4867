package io.modelpool.worker.capability;

import io.modelpool.worker.manifest.BatchSpec;
import io.modelpool.worker.manifest.Durations;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.PoolModelConfig;

/** A model's pool configuration from its manifest entry ({@code workers}, {@code batch}, {@code batch-invariant}). */
public final class PoolConfigs {

    private PoolConfigs() {}

    /**
     * Batches bounded by the manifest's {@code max-items} and {@code max-tokens} (task length is tokens), sorted by
     * length within {@code sort-window}; one task at a time on parallel workers when {@code oneAtATime}.
     */
    public static PoolModelConfig byTokens(ModelDefinition def, boolean oneAtATime) {
        BatchSpec b = def.batch();
        if (oneAtATime) {
            return PoolModelConfig.oneAtATime(def.workers(), b.queueCapacity());
        }
        return PoolModelConfig.builder()
                .workers(def.workers())
                .queueCapacity(b.queueCapacity())
                .maxBatchItems(b.maxItems())
                .maxBatchTokens(b.maxTokens())
                .maxDelay(Durations.parse(b.maxDelay()))
                .sortWindow(b.sortWindow())
                .build();
    }

    /**
     * Batches bounded by {@code max-items} only (task length is pixels, so a token budget means nothing), sorted over
     * at least one batch; one image at a time when the manifest's {@code batch-invariant} says so.
     */
    public static PoolModelConfig byItems(ModelDefinition def) {
        BatchSpec b = def.batch();
        if (def.batchInvariant()) {
            return PoolModelConfig.oneAtATime(def.workers(), b.queueCapacity());
        }
        return PoolModelConfig.builder()
                .workers(def.workers())
                .queueCapacity(b.queueCapacity())
                .maxBatchItems(b.maxItems())
                .maxDelay(Durations.parse(b.maxDelay()))
                .sortWindow(Math.max(b.sortWindow(), b.maxItems()))
                .build();
    }

    /** One task at a time on parallel workers, whatever the manifest's batch limits (denoising loops). */
    public static PoolModelConfig oneAtATime(ModelDefinition def) {
        return PoolModelConfig.oneAtATime(def.workers(), def.batch().queueCapacity());
    }
}
