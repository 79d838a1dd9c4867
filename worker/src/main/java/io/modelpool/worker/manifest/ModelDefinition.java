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
 * @param workers        worker threads, each with its own session (default 2)
 * @param session        ONNX Runtime session settings
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
        @JsonProperty("session") SessionSpec session) {

    public ModelDefinition {
        batchInvariant = batchInvariant == null || batchInvariant;
        parameters = parameters == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
        batch = batch == null ? BatchSpec.defaults() : batch;
        workers = workers == null ? 2 : workers;
        session = session == null ? SessionSpec.defaults() : session;
    }

    /** The same model with another batch-invariance switch (for example, for benchmarks of both modes). */
    public ModelDefinition withBatchInvariant(boolean invariant) {
        return new ModelDefinition(key, capability, family, source, tokenizer, invariant, parameters, batch,
                workers, session);
    }

    /** The same model with another key, for serving one model file under two keys. */
    public ModelDefinition withKey(String newKey) {
        return new ModelDefinition(newKey, capability, family, source, tokenizer, batchInvariant, parameters,
                batch, workers, session);
    }

    /** The same model with other worker and batch settings. */
    public ModelDefinition withWorkers(int newWorkers, BatchSpec newBatch) {
        return new ModelDefinition(key, capability, family, source, tokenizer, batchInvariant, parameters,
                newBatch, newWorkers, session);
    }
}
