package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToImageResult;
import io.modelpool.worker.capability.KafkaRoundTrip;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The latent-diffusion trio exported by PyTorch with diffusers' ONNX names (tools/pytorch_exports.py: a CLIP-style
 * text encoder with int32 input ids, a UNet with timestep embedding and cross-attention, a VAE decoder) through the
 * devstack broker: every pixel within {@link #MAX_PIXEL_DIFFERENCE} of PyTorch's own denoising loop with the same
 * scheduler and seed (DDIM with and without guidance, Euler with guidance).
 */
class ExportedDiffusionKafkaTest {

    private static final String MANIFEST = "classpath:exported/diffusion.yaml";
    /**
     * ONNX Runtime's and PyTorch's float32 kernels may differ in the last bits, which can move a pixel by one level
     * at a rounding boundary; on ONNX Runtime 1.26 (x86-64) every pixel came out equal (difference 0).
     */
    static final int MAX_PIXEL_DIFFERENCE = 1;

    @Test
    void imagesMatchPyTorchsLoopWithinOneLevelPerChannel() throws Exception {
        JsonNode expected;
        try (InputStream in = getClass().getResourceAsStream("/exported/diffusion/expected.json")) {
            expected = new ObjectMapper().readTree(in);
        }
        Map<String, TextToImageRequest> requests = new LinkedHashMap<>();
        for (JsonNode c : expected.get("cases")) {
            String name = c.get("name").asText();
            requests.put(
                    name,
                    TextToImageRequest.newBuilder()
                            .setId(name)
                            .setModel("tiny-sd")
                            .setPrompt(c.get("prompt").asText())
                            .setParameters(DiffusionParameters.newBuilder()
                                    .setNegativePrompt(
                                            c.get("negative").isNull()
                                                    ? null
                                                    : c.get("negative").asText())
                                    .setSteps(c.get("steps").asInt())
                                    .setGuidanceScale((float) c.get("guidance").asDouble())
                                    .setScheduler(
                                            Scheduler.valueOf(c.get("scheduler").asText()))
                                    .setSeed(c.get("seed").asLong())
                                    .setWidth(c.get("width").asInt())
                                    .setHeight(c.get("height").asInt())
                                    .build())
                            .build());
        }

        Map<String, TextToImageResult> results = KafkaRoundTrip.run(
                Capability.TEXT_TO_IMAGE,
                MANIFEST,
                TextToImageRequest.class,
                TextToImageResult.class,
                requests,
                Duration.ofSeconds(90));

        for (JsonNode c : expected.get("cases")) {
            String name = c.get("name").asText();
            TextToImageResult r = results.get(name);
            assertThat(r.getStatus()).as("%s: %s", name, r.getError()).isEqualTo(ResultStatus.OK);
            int[][][] got = ToyDiffusion.pixels(r.getPayload().getImage());
            JsonNode want = c.get("pixels");
            assertThat(got.length).isEqualTo(c.get("height").asInt());
            assertThat(got[0].length).isEqualTo(c.get("width").asInt());
            int worst = 0;
            for (int y = 0; y < got.length; y++) {
                for (int x = 0; x < got[y].length; x++) {
                    for (int k = 0; k < 3; k++) {
                        worst = Math.max(
                                worst,
                                Math.abs(
                                        got[y][x][k] - want.get(y).get(x).get(k).asInt()));
                    }
                }
            }
            assertThat(worst)
                    .as("largest pixel difference from PyTorch in %s", name)
                    .isLessThanOrEqualTo(MAX_PIXEL_DIFFERENCE);
        }
    }
}
