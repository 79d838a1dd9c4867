package io.modelpool.worker.capability.imageembedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.v1.ResultStatus;
import io.modelpool.worker.capability.KafkaRoundTrip;
import io.modelpool.worker.capability.image.ImageFixtures;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Image embedding end to end: the toy encoder through the devstack broker and registry. */
class ImageEmbeddingKafkaTest {

    @Test
    void vectorsArriveOnTheResultTopicMatchingTheReferenceAndACorruptImageFailsAlone() throws Exception {
        Map<String, Map<String, List<Double>>> expected = ImageEncoderTest.expected();
        Map<String, ImageEmbeddingRequest> requests = new LinkedHashMap<>();
        for (String model : expected.keySet()) {
            for (String name : ImageEncoderTest.IMAGES) {
                String id = model + "/" + name;
                byte[] png = ImageEncoderTest.image(name);
                requests.put(id, withId(ImageEncoderTest.request(model, png, "image/png"), id));
            }
        }
        byte[] truncated = ImageFixtures.truncated(ImageEncoderTest.image("large.png"), 0.7);
        requests.put("corrupt", withId(ImageEncoderTest.request("toy-embedding", truncated, "image/png"), "corrupt"));

        Map<String, ImageEmbeddingResult> results = KafkaRoundTrip.run(
                Capability.IMAGE_EMBEDDING,
                ImageEncoderTest.MANIFEST,
                ImageEmbeddingRequest.class,
                ImageEmbeddingResult.class,
                requests,
                Duration.ofSeconds(60));

        assertThat(results).containsOnlyKeys(requests.keySet());
        assertThat(results.get("corrupt").getStatus()).isEqualTo(ResultStatus.ERROR);
        assertThat(results.get("corrupt").getError().getCode()).isEqualTo(ErrorCode.CORRUPT_IMAGE);
        for (String model : expected.keySet()) {
            for (String name : ImageEncoderTest.IMAGES) {
                float[] vector = ImageEncoderTest.vector(results.get(model + "/" + name));
                List<Double> want = expected.get(model).get(name);
                for (int i = 0; i < want.size(); i++) {
                    assertThat((double) vector[i])
                            .as("%s on %s [%d]", model, name, i)
                            .isCloseTo(want.get(i), within(1e-5));
                }
            }
        }
    }

    private static ImageEmbeddingRequest withId(ImageEmbeddingRequest request, String id) {
        request.setId(id);
        return request;
    }
}
