package io.modelpool.worker.capability.vision;

import ai.onnxruntime.OrtSession;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityContext;
import io.modelpool.worker.capability.CapabilityProvider;
import io.modelpool.worker.capability.OpenedCapability;
import io.modelpool.worker.capability.PoolConfigs;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.RunnerFactory;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The vision capability: serves models of the {@code pp-ocr} family. Each pool task is one page; each worker
 * opens its own detector, classifier and recogniser sessions and reads its batch of pages with
 * {@link PpOcrRunner}, which batches the recognition of the lines of every page in the batch.
 *
 * <p>Batching: {@code batch-invariant: true} runs one page per batch; {@code false} takes up to
 * {@code batch.max-items} pages (waiting up to {@code batch.max-delay}), so lines of several requests share
 * recognition runs. A line's text does not depend on its batch either way (see {@link PpOcrRunner}).
 */
public final class VisionProvider implements CapabilityProvider {

    @Override
    public Capability capability() {
        return Capability.VISION;
    }

    @Override
    public Set<String> families() {
        return Set.of(PpOcrParameters.FAMILY);
    }

    @Override
    public void validate(ModelDefinition model) {
        PpOcrParameters.from(model);
    }

    @Override
    public OpenedCapability open(List<ModelDefinition> definitions, CapabilityContext context) {
        // a page's pool length is 1: batches are bounded by pages (batch.max-items), not by a token budget
        ModelPool<OcrPage, OcrOutcome> pool =
                new ModelPool<>("vision", page -> 1, page -> page.image().pixels());
        Set<String> keys = new LinkedHashSet<>();
        for (ModelDefinition def : definitions) {
            keys.add(def.key());
            pool.addModel(
                    def.key(), PoolConfigs.byItems(def), runners(def, PpOcrParameters.from(def), context.runtime()));
        }
        VisionService service = new VisionService(pool, keys, context, System::currentTimeMillis);
        return new OpenedCapability(service, pool, () -> {});
    }

    private static RunnerFactory<OcrPage, OcrOutcome> runners(
            ModelDefinition def, PpOcrParameters parameters, OrtRuntime runtime) {
        SessionSettings settings = SessionSettings.from(def.session());
        ModelSource detector = new ModelSource(def.source());
        ModelSource classifier = new ModelSource(parameters.classifier());
        ModelSource recognizer = new ModelSource(parameters.recognizer());
        ModelSource keys = new ModelSource(parameters.keys());
        return worker -> {
            CtcDecoder decoder = CtcDecoder.load(keys);
            List<OrtSession> sessions = new ArrayList<>(3);
            try {
                sessions.add(runtime.open(detector, settings));
                sessions.add(runtime.open(recognizer, settings));
                sessions.add(parameters.classify() ? runtime.open(classifier, settings) : null);
                return new PpOcrRunner(
                        runtime.environment(),
                        sessions.get(0),
                        sessions.get(2),
                        sessions.get(1),
                        decoder,
                        parameters,
                        System::currentTimeMillis);
            } catch (Exception e) {
                for (OrtSession s : sessions) {
                    if (s != null) {
                        s.close();
                    }
                }
                throw e;
            }
        };
    }
}
