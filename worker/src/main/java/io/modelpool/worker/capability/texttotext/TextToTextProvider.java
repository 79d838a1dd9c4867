package io.modelpool.worker.capability.texttotext;

import ai.onnxruntime.OrtSession;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.CapabilityProvider;
import io.modelpool.worker.capability.OpenedCapability;
import io.modelpool.worker.capability.PoolConfigs;
import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.RunnerFactory;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text-to-text capability: serves models of the {@code causal-lm} family.
 *
 * <p>By default ({@code batch-invariant: true}) every generation runs alone on one of the model's
 * {@code workers} sessions (the manifest's {@code batch.queue-capacity} bounds the queue; the other batch
 * settings do not apply), so a generation never depends on what else was queued, and a long one occupies one
 * worker, not a batch. With {@code batch-invariant: false} the pool cuts length-sorted batches by the
 * {@code batch.*} settings and each batch generates together ({@link CausalLmRunner}); a generation that
 * ends before its batch is answered at once. Shutdown reaches running
 * generations through the pool's shutdown flag, which each generation polls between decode steps; after the
 * model's {@code shutdown-grace} they are cut and abandoned: nothing is published for them and their records stay
 * uncommitted, so the partition's next owner runs them whole.
 */
public final class TextToTextProvider implements CapabilityProvider {

    private static final Logger LOG = LoggerFactory.getLogger(TextToTextProvider.class);

    @Override
    public Capability capability() {
        return Capability.TEXT_TO_TEXT;
    }

    @Override
    public Set<String> families() {
        return Set.of(CausalLmParameters.FAMILY);
    }

    @Override
    public void validate(ModelDefinition model) {
        CausalLmParameters.from(model);
        if (model.tokenizer() == null || model.tokenizer().isBlank()) {
            throw new ManifestException("model '" + model.key() + "': tokenizer is missing for family "
                    + CausalLmParameters.FAMILY + "; allowed: classpath:<tokenizer.json> or file:<path>");
        }
    }

    @Override
    public Optional<Duration> shutdownGrace(ModelDefinition model) {
        return Optional.of(CausalLmParameters.from(model).shutdownGrace());
    }

    @Override
    public OpenedCapability open(List<ModelDefinition> definitions, CapabilityContext context) {
        ModelPool<Generation, GenerationOutcome> pool = new ModelPool<>(
                "text-to-text", Generation::promptTokens, g -> (long) g.promptTokens() + g.maxNewTokens());
        Map<String, CausalLmModel> models = new LinkedHashMap<>();
        for (ModelDefinition def : definitions) {
            CausalLmParameters parameters = CausalLmParameters.from(def);
            LmTokenizer tokenizer = null;
            String loadError = null;
            try {
                tokenizer = LmTokenizer.load(new ModelSource(def.tokenizer()), parameters.eosToken());
            } catch (IOException | RuntimeException e) {
                loadError = e.getMessage();
                LOG.error(
                        "Model '{}': cannot load tokenizer {}; its requests will fail with MODEL_LOAD_FAILED",
                        def.key(),
                        def.tokenizer(),
                        e);
            }
            models.put(def.key(), new CausalLmModel(def, parameters, tokenizer, loadError));
            ShutdownGrace grace = new ShutdownGrace(pool::isShuttingDown, parameters.shutdownGrace(), System::nanoTime);
            pool.addModel(
                    def.key(),
                    PoolConfigs.byTokens(def, def.batchInvariant()),
                    runners(def, tokenizer, loadError, grace, context.runtime()));
        }
        TextToTextService service = new TextToTextService(pool, models, context, System::currentTimeMillis);
        AutoCloseable tokenizers = () -> {
            for (CausalLmModel m : models.values()) {
                if (m.tokenizer() != null) {
                    m.tokenizer().close();
                }
            }
        };
        return new OpenedCapability(service, pool, tokenizers);
    }

    private static RunnerFactory<Generation, GenerationOutcome> runners(
            ModelDefinition def,
            LmTokenizer tokenizer,
            String tokenizerError,
            ShutdownGrace grace,
            OrtRuntime runtime) {
        ModelSource source = new ModelSource(def.source());
        SessionSettings settings = SessionSettings.from(def.session());
        return worker -> {
            if (tokenizer == null) {
                throw new IOException("tokenizer " + def.tokenizer() + " failed to load: " + tokenizerError);
            }
            OrtSession session = runtime.open(source, settings);
            try {
                return new CausalLmRunner(
                        runtime.environment(),
                        session,
                        tokenizer,
                        grace,
                        System::currentTimeMillis,
                        !def.batchInvariant());
            } catch (Exception e) {
                session.close();
                throw e;
            }
        };
    }
}
