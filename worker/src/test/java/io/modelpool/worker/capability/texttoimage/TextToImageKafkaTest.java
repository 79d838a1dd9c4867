package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.worker.capability.KafkaRoundTrip;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Text-to-image end to end: requests through the devstack broker and registry to a worker serving the toy model. */
class TextToImageKafkaTest {

    @Test
    void imagesArriveOnTheResultTopicAsPngsWithExactlyTheReferencePixels() throws Exception {
        List<ToyDiffusion.Case> cases = ToyDiffusion.expected();
        Map<String, TextToImageRequest> requests = new LinkedHashMap<>();
        for (ToyDiffusion.Case c : cases) {
            TextToImageRequest request = c.request();
            request.setId(c.name());
            requests.put(c.name(), request);
        }

        Map<String, TextToImageResult> results = KafkaRoundTrip.run(
                Capability.TEXT_TO_IMAGE,
                ToyDiffusion.MANIFEST,
                TextToImageRequest.class,
                TextToImageResult.class,
                requests,
                Duration.ofSeconds(60));

        for (ToyDiffusion.Case c : cases) {
            TextToImageResult r = results.get(c.name());
            assertThat(r.getStatus()).as("%s: %s", c.name(), r.getError()).isEqualTo(ResultStatus.OK);
            assertThat(r.getPayload().getMediaType()).isEqualTo("image/png");
            assertThat(ToyDiffusion.pixels(r.getPayload().getImage()))
                    .as(c.name())
                    .isDeepEqualTo(c.pixels());
        }
    }
}
