package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/**
 * The models a worker serves and the request limits that apply to all of them. Obtain one with
 * {@link ManifestLoader}, which applies defaults and validates it.
 *
 * <pre>{@code
 * limits:
 *   max-inputs-per-request: 256
 *   max-input-bytes: 65536
 * models:
 *   - key: all-minilm-l6-v2-q
 *     capability: text-embedding
 *     family: encoder-embedding
 *     source: classpath:all-minilm-l6-v2-q.onnx
 *     tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
 *     batch-invariant: true
 *     parameters: {pooling: mean, normalize: true, max-sequence-length: 256}
 *     batch: {max-items: 8, max-tokens: 4096, max-delay: 2ms, queue-capacity: 1024}
 *     workers: 2
 *     session: {intra-op-threads: 1, inter-op-threads: 1, optimization-level: all}
 * }</pre>
 */
public record ModelManifest(
        @JsonProperty("limits") RequestLimits limits,
        @JsonProperty("models") List<ModelDefinition> models) {

    public ModelManifest {
        limits = limits == null ? RequestLimits.defaults() : limits;
        models = models == null ? List.of() : List.copyOf(models);
    }

    /** The model with this key, if the manifest has one. */
    public Optional<ModelDefinition> model(String key) {
        for (ModelDefinition m : models) {
            if (m.key().equals(key)) {
                return Optional.of(m);
            }
        }
        return Optional.empty();
    }

    /** The models of one capability, by its manifest name (for example {@code text-embedding}). */
    public List<ModelDefinition> modelsOf(String capability) {
        return models.stream().filter(m -> m.capability().equals(capability)).toList();
    }
}
