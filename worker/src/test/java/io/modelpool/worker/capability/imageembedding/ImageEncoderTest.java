package io.modelpool.worker.capability.imageembedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.image.ImageFixtures;
import io.modelpool.worker.manifest.ManifestLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The image-encoder family on the generated toy encoder, through the service and its pool (no Kafka). */
class ImageEncoderTest {

    static final String MANIFEST = "classpath:imageembedding/toy-image-encoder.yaml";
    static final List<String> IMAGES = List.of("red.png", "gradient.png", "checker.png", "large.png");

    private static PoolGroup registry;

    @BeforeAll
    static void open() {
        registry = CapabilityRegistry.fromManifest(ManifestLoader.load(MANIFEST));
        registry.awaitLoaded(Duration.ofSeconds(30));
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    /** The numpy reference's vectors: model key -> image name -> vector. */
    static Map<String, Map<String, List<Double>>> expected() throws IOException {
        try (InputStream in = resource("expected.json")) {
            return new ObjectMapper().readValue(in, new TypeReference<>() {});
        }
    }

    static byte[] image(String name) throws IOException {
        try (InputStream in = resource(name)) {
            return in.readAllBytes();
        }
    }

    private static InputStream resource(String name) {
        return ImageEncoderTest.class.getClassLoader().getResourceAsStream("imageembedding/" + name);
    }

    @Test
    void everyModelAndImageGivesTheReferenceVector() throws Exception {
        Map<String, Map<String, List<Double>>> expected = expected();
        assertThat(expected.keySet()).containsExactlyInAnyOrder("toy-embedding", "toy-features-mean", "toy-nhwc-bgr");
        for (Map.Entry<String, Map<String, List<Double>>> model : expected.entrySet()) {
            for (String name : IMAGES) {
                float[] vector = embed(model.getKey(), image(name), "image/png");
                List<Double> want = model.getValue().get(name);
                assertThat(vector).as("%s on %s", model.getKey(), name).hasSize(want.size());
                for (int i = 0; i < want.size(); i++) {
                    assertThat((double) vector[i])
                            .as("%s on %s [%d]", model.getKey(), name, i)
                            .isCloseTo(want.get(i), within(1e-5));
                }
            }
        }
    }

    @Test
    void anImageGivesTheSameVectorAloneAndInABatch() throws Exception {
        float[] alone = embed("toy-embedding", image("gradient.png"), "image/png");
        AtomicInteger largestBatch = new AtomicInteger();
        registry.pool(Capability.IMAGE_EMBEDDING)
                .observeBatches(
                        (model, size, length, runNanos, failed) -> largestBatch.accumulateAndGet(size, Math::max));
        CapabilityService service = registry.service(Capability.IMAGE_EMBEDDING);
        List<CompletableFuture<Outcome>> futures = new ArrayList<>();
        for (String name : List.of("red.png", "checker.png", "gradient.png", "large.png", "red.png")) {
            futures.add(
                    service.handle(request("toy-embedding", image(name), "image/png"), new RequestContext("test", 0)));
        }
        List<ImageEmbeddingResult> results = new ArrayList<>();
        for (CompletableFuture<Outcome> f : futures) {
            results.add((ImageEmbeddingResult) f.get(30, TimeUnit.SECONDS).record());
        }

        assertThat(largestBatch).as("the five requests ran batched").hasValueGreaterThan(1);
        assertThat(vector(results.get(2))).isEqualTo(alone);
        assertThat(vector(results.get(0))).isEqualTo(vector(results.get(4)));
    }

    @Test
    void aLosslessWebpEmbedsExactlyAsThePngOfTheSamePixels() throws Exception {
        assertThat(embed("toy-embedding", image("gradient.webp"), "image/webp"))
                .isEqualTo(embed("toy-embedding", image("gradient.png"), "image/png"));
    }

    @Test
    void anImageAboveThePixelBudgetIsRefusedAsTooLarge() throws Exception {
        ImageEmbeddingResult result = handle("toy-embedding", ImageFixtures.pngDeclaring(100, 100), "image/png");

        assertThat(result.getStatus()).isEqualTo(ResultStatus.ERROR);
        assertThat(result.getError().getCode()).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(result.getError().getMessage()).contains("100x100", "limits.max-image-pixels");
    }

    static float[] vector(ImageEmbeddingResult result) {
        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        List<Float> v = result.getPayload().getVector();
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    static float[] embed(String model, byte[] image, String mediaType) throws Exception {
        return vector(handle(model, image, mediaType));
    }

    static ImageEmbeddingResult handle(String model, byte[] image, String mediaType) throws Exception {
        CapabilityService service = registry.service(Capability.IMAGE_EMBEDDING);
        return (ImageEmbeddingResult) service.handle(request(model, image, mediaType), new RequestContext("test", 0))
                .get(30, TimeUnit.SECONDS)
                .record();
    }

    static ImageEmbeddingRequest request(String model, byte[] image, String mediaType) {
        return ImageEmbeddingRequest.newBuilder()
                .setId(model + "-" + image.length)
                .setModel(model)
                .setImage(new ImageInput(ByteBuffer.wrap(image), mediaType))
                .build();
    }
}
