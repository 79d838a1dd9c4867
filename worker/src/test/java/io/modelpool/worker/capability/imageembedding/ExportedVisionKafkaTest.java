package io.modelpool.worker.capability.imageembedding;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.worker.capability.KafkaRoundTrip;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CLIP-style vision tower exported by PyTorch (tools/pytorch_exports.py) through the devstack broker: its
 * projected {@code image_embeds} (batched) and the class token of {@code last_hidden_state} ({@code pooling: cls})
 * point the way PyTorch's do, at cosine similarity 0.9999 or more.
 */
class ExportedVisionKafkaTest {

    private static final String MANIFEST = "classpath:exported/vision.yaml";
    private static final double MIN_COSINE = 0.9999;

    @Test
    void embeddingsMatchPyTorchAtCosineOfAtLeast09999() throws Exception {
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/exported/clip-vision/expected.json")) {
            expected = new ObjectMapper().readTree(in);
        }
        Map<String, ImageEmbeddingRequest> requests = new LinkedHashMap<>();
        for (JsonNode c : expected.get("cases")) {
            String image = c.get("image").asText();
            byte[] png = read("/exported/clip-vision/" + image);
            for (String model : new String[] {"clip-vision", "clip-vision-cls"}) {
                ImageEmbeddingRequest request = ImageEncoderTest.request(model, png, "image/png");
                request.setId(model + "/" + image);
                requests.put(request.getId().toString(), request);
            }
        }

        Map<String, ImageEmbeddingResult> results = KafkaRoundTrip.run(
                Capability.IMAGE_EMBEDDING,
                MANIFEST,
                ImageEmbeddingRequest.class,
                ImageEmbeddingResult.class,
                requests,
                Duration.ofSeconds(60));

        assertThat(results).containsOnlyKeys(requests.keySet());
        for (JsonNode c : expected.get("cases")) {
            String image = c.get("image").asText();
            assertThat(cosine(ImageEncoderTest.vector(results.get("clip-vision/" + image)), c.get("image_embeds")))
                    .as("image_embeds of %s", image)
                    .isGreaterThanOrEqualTo(MIN_COSINE);
            assertThat(cosine(ImageEncoderTest.vector(results.get("clip-vision-cls/" + image)), c.get("class_token")))
                    .as("class token of %s", image)
                    .isGreaterThanOrEqualTo(MIN_COSINE);
        }
    }

    private static byte[] read(String resource) throws IOException {
        try (InputStream in = ExportedVisionKafkaTest.class.getResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }

    private static double cosine(float[] got, JsonNode want) {
        assertThat(got).hasSize(want.size());
        double dot = 0;
        double a = 0;
        double b = 0;
        for (int i = 0; i < got.length; i++) {
            double w = want.get(i).asDouble();
            dot += got[i] * w;
            a += (double) got[i] * got[i];
            b += w * w;
        }
        return dot / Math.sqrt(a * b);
    }
}
