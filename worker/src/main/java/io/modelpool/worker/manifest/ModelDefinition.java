package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One model the worker serves.
 *
 * @param key            registry key that requests name, unique in the manifest
 * @param capability     {@code text-embedding|text-to-text|image-embedding|vision|text-to-image}
 * @param family         the model family inside the capability, for example {@code encoder-embedding}; it
 *                       picks the code that runs the model, never the key
 * @param source         the .onnx file: {@code classpath:name.onnx} or {@code file:/path} (a bare path
 *                       is a file)
 * @param tokenizer      the tokenizer.json, same forms as {@code source}; null for families without one
 * @param batchInvariant true (default): one input per run, so a result never depends on its batch
 *                       neighbours; false: length-sorted micro-batches for throughput
 * @param parameters     family parameters (for encoder-embedding: pooling, normalize, max-sequence-length,
 *                       query-prefix, passage-prefix)
 * @param batch          queue and batching limits
 * @param workers        worker threads a load starts, each with its own session (default 2, within
 *                       min-workers..max-workers when those are given)
 * @param session        ONNX Runtime session settings
 * @param minWorkers     workers kept while the model is loaded; idle ones above it are retired (default: workers)
 * @param maxWorkers     workers the pool may scale up to while requests wait (default: workers)
 * @param idleUnload     unload the model after it has had no work for this long, as {@code 10m}; {@code 0s}
 *                       never; null: the worker's {@code pool.idle-unload-ms} setting
 * @param sizeFactor     estimated memory of one worker's session as a multiple of the model file's size, counted
 *                       against the worker's memory budget (default 2.0)
 */
public record ModelDefinition(
        @JsonProperty("key") String key,
        @JsonProperty("capability") String capability,
        @JsonProperty("family") String family,
        @JsonProperty("source") String source,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("batch-invariant") Boolean batchInvariant,
        @JsonProperty("parameters") Map<String, Object> parameters,
        @JsonProperty("batch") BatchSpec batch,
        @JsonProperty("workers") Integer workers,
        @JsonProperty("session") SessionSpec session,
        @JsonProperty("min-workers") Integer minWorkers,
        @JsonProperty("max-workers") Integer maxWorkers,
        @JsonProperty("idle-unload") String idleUnload,
        @JsonProperty("size-factor") Double sizeFactor) {

    /** The default {@code size-factor}. */
    public static final double DEFAULT_SIZE_FACTOR = 2.0;

    public ModelDefinition {
        batchInvariant = batchInvariant == null || batchInvariant;
        parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        batch = batch == null ? BatchSpec.defaults() : batch;
        if (workers == null) {
            int w = 2;
            if (maxWorkers != null) {
                w = Math.min(w, maxWorkers);
            }
            if (minWorkers != null) {
                w = Math.max(w, minWorkers);
            }
            workers = w;
        }
        minWorkers = minWorkers == null ? workers : minWorkers;
        maxWorkers = maxWorkers == null ? Math.max(workers, minWorkers) : maxWorkers;
        session = session == null ? SessionSpec.defaults() : session;
        sizeFactor = sizeFactor == null ? DEFAULT_SIZE_FACTOR : sizeFactor;
    }

    /** A model with the default scaling, idle-unload and size settings. */
    public ModelDefinition(
            String key,
            String capability,
            String family,
            String source,
            String tokenizer,
            Boolean batchInvariant,
            Map<String, Object> parameters,
            BatchSpec batch,
            Integer workers,
            SessionSpec session) {
        this(
                key,
                capability,
                family,
                source,
                tokenizer,
                batchInvariant,
                parameters,
                batch,
                workers,
                session,
                null,
                null,
                null,
                null);
    }

    /** The same model with another batch-invariance switch (for example, for benchmarks of both modes). */
    public ModelDefinition withBatchInvariant(boolean invariant) {
        return new ModelDefinition(
                key,
                capability,
                family,
                source,
                tokenizer,
                invariant,
                parameters,
                batch,
                workers,
                session,
                minWorkers,
                maxWorkers,
                idleUnload,
                sizeFactor);
    }

    /** The same model with one family parameter set (added or replaced), for serving one file two ways. */
    public ModelDefinition withParameter(String name, Object value) {
        Map<String, Object> changed = new LinkedHashMap<>(parameters);
        changed.put(name, value);
        return new ModelDefinition(
                key,
                capability,
                family,
                source,
                tokenizer,
                batchInvariant,
                changed,
                batch,
                workers,
                session,
                minWorkers,
                maxWorkers,
                idleUnload,
                sizeFactor);
    }

    /** The same model with another key, for serving one model file under two keys. */
    public ModelDefinition withKey(String newKey) {
        return new ModelDefinition(
                newKey,
                capability,
                family,
                source,
                tokenizer,
                batchInvariant,
                parameters,
                batch,
                workers,
                session,
                minWorkers,
                maxWorkers,
                idleUnload,
                sizeFactor);
    }

    /** The same model with other worker and batch settings (a fixed worker count: min and max alike). */
    public ModelDefinition withWorkers(int newWorkers, BatchSpec newBatch) {
        return new ModelDefinition(
                key,
                capability,
                family,
                source,
                tokenizer,
                batchInvariant,
                parameters,
                newBatch,
                newWorkers,
                session,
                newWorkers,
                newWorkers,
                idleUnload,
                sizeFactor);
    }
}
