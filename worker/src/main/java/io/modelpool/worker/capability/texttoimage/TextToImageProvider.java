package io.modelpool.worker.capability.texttoimage;

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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text-to-image capability: serves models of the {@code latent-diffusion} family. Each worker opens its
 * own three sessions (text encoder, the denoiser named by {@code source}, VAE decoder) with the model's
 * session settings, and draws one image per run.
 */
public final class TextToImageProvider implements CapabilityProvider {

    private static final Logger LOG = LoggerFactory.getLogger(TextToImageProvider.class);

    @Override
    public Capability capability() {
        return Capability.TEXT_TO_IMAGE;
    }

    @Override
    public Set<String> families() {
        return Set.of(LatentDiffusionParameters.FAMILY);
    }

    @Override
    public void validate(ModelDefinition model) {
        LatentDiffusionParameters.from(model);
        if (model.tokenizer() == null || model.tokenizer().isBlank()) {
            throw new ManifestException("model '" + model.key() + "': tokenizer is missing for family "
                    + LatentDiffusionParameters.FAMILY + "; allowed: classpath:<tokenizer.json> or file:<path>");
        }
    }

    @Override
    public Optional<Duration> shutdownGrace(ModelDefinition model) {
        return Optional.of(LatentDiffusionParameters.from(model).shutdownGrace());
    }

    @Override
    public OpenedCapability open(List<ModelDefinition> definitions, CapabilityContext context) {
        ModelPool<ImageTask, ImageOutcome> pool = new ModelPool<>("text-to-image", ImageTask::cost, ImageTask::work);
        Map<String, DiffusionModel> models = new LinkedHashMap<>();
        for (ModelDefinition def : definitions) {
            LatentDiffusionParameters parameters = LatentDiffusionParameters.from(def);
            PromptTokenizer tokenizer = null;
            String loadError = null;
            try {
                tokenizer = PromptTokenizer.load(
                        new ModelSource(def.tokenizer()), parameters.padToken(), parameters.textSequenceLength());
            } catch (IOException | RuntimeException e) {
                loadError = e.getMessage();
                LOG.error(
                        "Model '{}': cannot load tokenizer {}; its requests will fail with MODEL_LOAD_FAILED",
                        def.key(),
                        def.tokenizer(),
                        e);
            }
            models.put(def.key(), new DiffusionModel(def, parameters, tokenizer, loadError));
            ShutdownGrace grace = new ShutdownGrace(pool::isShuttingDown, parameters.shutdownGrace(), System::nanoTime);
            pool.addModel(
                    def.key(),
                    PoolConfigs.oneAtATime(def),
                    runners(def, parameters, loadError, grace, context.runtime()));
        }
        TextToImageService service = new TextToImageService(pool, models, context, System::currentTimeMillis);
        AutoCloseable tokenizers = () -> {
            for (DiffusionModel m : models.values()) {
                if (m.tokenizer() != null) {
                    m.tokenizer().close();
                }
            }
        };
        return new OpenedCapability(service, pool, tokenizers);
    }

    private static RunnerFactory<ImageTask, ImageOutcome> runners(
            ModelDefinition def,
            LatentDiffusionParameters parameters,
            String tokenizerError,
            ShutdownGrace grace,
            OrtRuntime runtime) {
        SessionSettings settings = SessionSettings.from(def.session());
        List<ModelSource> sources = List.of(
                new ModelSource(parameters.textEncoder()),
                new ModelSource(def.source()),
                new ModelSource(parameters.vaeDecoder()));
        return worker -> {
            if (tokenizerError != null) {
                throw new IOException("tokenizer " + def.tokenizer() + " failed to load: " + tokenizerError);
            }
            List<OrtSession> sessions = new ArrayList<>(3);
            try {
                for (ModelSource s : sources) {
                    sessions.add(runtime.open(s, settings));
                }
                return new LatentDiffusionRunner(
                        runtime.environment(),
                        sessions.get(0),
                        sessions.get(1),
                        sessions.get(2),
                        parameters,
                        grace,
                        System::currentTimeMillis);
            } catch (Exception e) {
                for (OrtSession s : sessions) {
                    s.close();
                }
                throw e;
            }
        };
    }
}
