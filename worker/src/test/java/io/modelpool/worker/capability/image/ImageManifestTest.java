package io.modelpool.worker.capability.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.worker.capability.imageembedding.ImageEmbeddingProvider;
import io.modelpool.worker.capability.vision.VisionProvider;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.manifest.RequestLimits;
import org.junit.jupiter.api.Test;

/** The image limits and families as the manifest declares them. */
class ImageManifestTest {

    private static final String MODEL = """
            models:
              - key: enc
                capability: image-embedding
                family: image-encoder
                source: classpath:enc.onnx
                parameters: {width: 224, height: 224, output: image_embeds%s}
            """;

    @Test
    void imageLimitsDefaultAndCanBeSet() {
        assertThat(ImageLimits.from(
                        ManifestLoader.parse(MODEL.formatted(""), "t").limits()))
                .isEqualTo(
                        new ImageLimits(RequestLimits.DEFAULT_MAX_IMAGE_BYTES, RequestLimits.DEFAULT_MAX_IMAGE_PIXELS));
        ModelManifest set = ManifestLoader.parse(
                "limits: {max-image-bytes: 1000, max-image-pixels: 5000000000}\n" + MODEL.formatted(""), "t");
        assertThat(ImageLimits.from(set.limits())).isEqualTo(new ImageLimits(1000, 5_000_000_000L));
        assertThatThrownBy(() -> ManifestLoader.parse("limits: {max-image-pixels: 0}\n" + MODEL.formatted(""), "t"))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("max-image-pixels = 0 is invalid");
    }

    @Test
    void badFamilyParametersNameTheModelTheParameterAndWhatIsAllowed() {
        ModelDefinition layout = ManifestLoader.parse(MODEL.formatted(", layout: chw"), "t")
                .models()
                .get(0);
        assertThatThrownBy(() -> new ImageEmbeddingProvider().validate(layout))
                .hasMessage("model 'enc': parameters.layout = 'chw' is invalid; allowed: nchw|nhwc");
        ModelDefinition mean = ManifestLoader.parse(MODEL.formatted(", mean: [0.5, 0.5]"), "t")
                .models()
                .get(0);
        assertThatThrownBy(() -> new ImageEmbeddingProvider().validate(mean))
                .hasMessage("model 'enc': parameters.mean = '[0.5, 0.5]' is invalid; allowed: a list of 3 numbers");
        ModelDefinition unknown = ManifestLoader.parse(MODEL.formatted(", colour: red"), "t")
                .models()
                .get(0);
        assertThatThrownBy(() -> new ImageEmbeddingProvider().validate(unknown))
                .hasMessageStartingWith("model 'enc': parameters.colour is unknown for family image-encoder");
    }

    @Test
    void theShippedImagesManifestIsValid() {
        ModelManifest manifest = ManifestLoader.load("classpath:modelpool/images.yaml");

        assertThat(manifest.models()).extracting(ModelDefinition::key).containsExactly("pp-ocrv4", "pp-orientation");
        new VisionProvider().validate(manifest.models().get(0));
        new ImageEmbeddingProvider().validate(manifest.models().get(1));
        assertThat(ImageManifestTest.class.getClassLoader().getResource("models/ch_PP-OCRv4_rec_infer.onnx"))
                .as("the model jar is on the class path")
                .isNotNull();
    }
}
