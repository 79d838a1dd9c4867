package io.modelpool.worker.capability.imageembedding;

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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The image-embedding capability: serves models of the {@code image-encoder} family, one pool task per image.
 * {@code batch-invariant: true} (default) runs each image alone on one of the model's {@code workers}
 * sessions; {@code false} stacks up to {@code batch.max-items} images into one run (every image is resized to
 * the same input size, so no padding is involved).
 */
public final class ImageEmbeddingProvider implements CapabilityProvider {

    @Override
    public Capability capability() {
        return Capability.IMAGE_EMBEDDING;
    }

    @Override
    public Set<String> families() {
        return Set.of(ImageEncoderParameters.FAMILY);
    }

    @Override
    public void validate(ModelDefinition model) {
        ImageEncoderParameters.from(model);
    }

    @Override
    public OpenedCapability open(List<ModelDefinition> definitions, CapabilityContext context) {
        // every image becomes the same input size: a task's pool length is 1
        ModelPool<EncoderImage, ImageEmbeddingOutcome> pool = new ModelPool<>(
                "image-embedding", image -> 1, image -> image.image().pixels());
        Set<String> keys = new LinkedHashSet<>();
        for (ModelDefinition def : definitions) {
            keys.add(def.key());
            pool.addModel(
                    def.key(),
                    PoolConfigs.byItems(def),
                    runners(def, ImageEncoderParameters.from(def), context.runtime()));
        }
        ImageEmbeddingService service = new ImageEmbeddingService(pool, keys, context, System::currentTimeMillis);
        return new OpenedCapability(service, pool, () -> {});
    }

    private static RunnerFactory<EncoderImage, ImageEmbeddingOutcome> runners(
            ModelDefinition def, ImageEncoderParameters parameters, OrtRuntime runtime) {
        ModelSource source = new ModelSource(def.source());
        SessionSettings settings = SessionSettings.from(def.session());
        return worker -> {
            OrtSession session = runtime.open(source, settings);
            try {
                return new ImageEncoderRunner(runtime.environment(), session, parameters, System::currentTimeMillis);
            } catch (Exception e) {
                session.close();
                throw e;
            }
        };
    }
}
