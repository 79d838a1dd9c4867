package io.modelpool.worker.capability.textembedding;

import ai.onnxruntime.OrtSession;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.CapabilityProvider;
import io.modelpool.worker.capability.OpenedCapability;
import io.modelpool.worker.capability.PoolConfigs;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.RunnerFactory;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.PerTokenQuantization;
import io.modelpool.worker.runtime.SessionSettings;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text-embedding capability: serves models of the {@code encoder-embedding} family.
 *
 * <p>Execution mode per model, from the manifest's {@code batch-invariant} switch and its
 * {@code activation-quantization} parameter:
 * <ul>
 *   <li>{@code batch-invariant: true} with {@code activation-quantization: per-token} (the shipped models):
 *       the int8 model is rewritten at load to quantise each token on its own
 *       ({@link io.modelpool.worker.runtime.PerTokenQuantization}), so a padded batch gives every text bitwise
 *       the vector it gets alone; texts run in length-sorted micro-batches within {@code batch.*}.</li>
 *   <li>{@code batch-invariant: true} on a model as exported (the default): every text runs alone on one of the
 *       model's {@code workers} sessions, in parallel. A text's vector never depends on what else was queued.
 *       This matters for dynamically quantised int8 files: they quantise activations over the whole input
 *       tensor, so a padded batch changes every member's vector (cosine 0.99 instead of 1.0 against the text
 *       alone).</li>
 *   <li>{@code batch-invariant: false}: length-sorted micro-batches up to {@code batch.max-items} texts and
 *       {@code batch.max-tokens} padded tokens, waiting up to {@code batch.max-delay} for a batch to fill;
 *       on an int8 model as exported, vectors within about 1% of the invariant ones.</li>
 * </ul>
 */
public final class TextEmbeddingProvider implements CapabilityProvider {

    private static final Logger LOG = LoggerFactory.getLogger(TextEmbeddingProvider.class);

    @Override
    public Capability capability() {
        return Capability.TEXT_EMBEDDING;
    }

    @Override
    public Set<String> families() {
        return Set.of(EncoderEmbeddingParameters.FAMILY);
    }

    @Override
    public void validate(ModelDefinition model) {
        EncoderEmbeddingParameters.from(model);
        if (model.tokenizer() == null || model.tokenizer().isBlank()) {
            throw new ManifestException("model '" + model.key() + "': tokenizer is missing for family "
                    + EncoderEmbeddingParameters.FAMILY + "; allowed: classpath:<tokenizer.json> or file:<path>");
        }
    }

    @Override
    public OpenedCapability open(List<ModelDefinition> definitions, CapabilityContext context) {
        ModelPool<EncodedText, EmbeddingOutcome> pool =
                new ModelPool<>("text-embedding", EncodedText::tokens, EncodedText::tokens);
        Map<String, TextModel> models = new LinkedHashMap<>();
        for (ModelDefinition def : definitions) {
            EncoderEmbeddingParameters parameters = EncoderEmbeddingParameters.from(def);
            TextTokenizer tokenizer = null;
            String loadError = null;
            try {
                tokenizer = TextTokenizer.load(new ModelSource(def.tokenizer()), parameters.maxSequenceLength());
            } catch (IOException | RuntimeException e) {
                loadError = e.getMessage();
                LOG.error(
                        "Model '{}': cannot load tokenizer {}; its requests will fail with MODEL_LOAD_FAILED",
                        def.key(),
                        def.tokenizer(),
                        e);
            }
            models.put(def.key(), new TextModel(def, parameters, tokenizer, loadError));
            pool.addModel(
                    def.key(),
                    PoolConfigs.byTokens(def, def.batchInvariant() && !parameters.perTokenQuantization()),
                    runners(def, parameters, loadError, context.runtime()));
        }
        TextEmbeddingService service = new TextEmbeddingService(pool, models, context, System::currentTimeMillis);
        AutoCloseable tokenizers = () -> {
            for (TextModel m : models.values()) {
                if (m.tokenizer() != null) {
                    m.tokenizer().close();
                }
            }
        };
        return new OpenedCapability(service, pool, tokenizers);
    }

    /** The model's bytes as the session should see them: rewritten when the manifest asks for per-token int8. */
    static byte[] load(ModelDefinition def, ModelSource source, EncoderEmbeddingParameters parameters)
            throws IOException {
        byte[] model = source.readAllBytes();
        if (!parameters.perTokenQuantization()) {
            return model;
        }
        long start = System.nanoTime();
        PerTokenQuantization.Result result;
        try {
            result = PerTokenQuantization.rewrite(model);
        } catch (IllegalArgumentException e) {
            throw new IOException(
                    "model '" + def.key() + "' (" + def.source() + "): activation-quantization" + " per-token failed: "
                            + e.getMessage(),
                    e);
        }
        LOG.debug(
                "Model '{}': per-token quantization rewrote {} quantizations and {} matrix products in {} ms",
                def.key(),
                result.quantizations(),
                result.matMuls(),
                (System.nanoTime() - start) / 1_000_000);
        return result.model();
    }

    private static RunnerFactory<EncodedText, EmbeddingOutcome> runners(
            ModelDefinition def, EncoderEmbeddingParameters parameters, String tokenizerError, OrtRuntime runtime) {
        ModelSource source = new ModelSource(def.source());
        SessionSettings settings = SessionSettings.from(def.session());
        return worker -> {
            if (tokenizerError != null) {
                throw new IOException("tokenizer " + def.tokenizer() + " failed to load: " + tokenizerError);
            }
            OrtSession session = runtime.open(load(def, source, parameters), settings);
            try {
                return new EncoderEmbeddingRunner(
                        runtime.environment(), session, parameters, System::currentTimeMillis);
            } catch (Exception e) {
                session.close();
                throw e;
            }
        };
    }
}
