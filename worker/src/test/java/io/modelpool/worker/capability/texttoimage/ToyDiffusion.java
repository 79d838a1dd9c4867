package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.DiffusionParameters;
import io.modelpool.v1.Scheduler;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import javax.imageio.ImageIO;

/** The toy latent-diffusion model of tools/toy_latent_diffusion.py and the pixels its reference computes. */
final class ToyDiffusion {

    static final String MODEL = "toy-diffusion";
    static final String MANIFEST = "classpath:texttoimage/toy-diffusion.yaml";

    private ToyDiffusion() {}

    /** One case of expected.json: a request's settings and the RGB pixels a correct worker draws for it. */
    record Case(
            String name,
            String prompt,
            String negative,
            long seed,
            int steps,
            float guidance,
            Scheduler scheduler,
            int width,
            int height,
            int[][][] pixels) {

        TextToImageRequest request() {
            return TextToImageRequest.newBuilder()
                    .setId(name + "-" + UUID.randomUUID())
                    .setModel(MODEL)
                    .setPrompt(prompt)
                    .setParameters(DiffusionParameters.newBuilder()
                            .setNegativePrompt(negative)
                            .setSteps(steps)
                            .setGuidanceScale(guidance)
                            .setScheduler(scheduler)
                            .setSeed(seed)
                            .setWidth(width)
                            .setHeight(height)
                            .build())
                    .build();
        }
    }

    static PoolGroup registry() {
        PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.load(MANIFEST));
        assertThat(registry.awaitLoaded(Duration.ofSeconds(30))).containsEntry(MODEL, ModelState.READY);
        return registry;
    }

    static List<Case> expected() throws IOException {
        try (InputStream in = ToyDiffusion.class.getResourceAsStream("/texttoimage/expected.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            List<Case> cases = new ArrayList<>();
            for (JsonNode c : root) {
                int height = c.get("height").asInt();
                int width = c.get("width").asInt();
                int[][][] pixels = new int[height][width][3];
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        for (int k = 0; k < 3; k++) {
                            pixels[y][x][k] =
                                    c.get("pixels").get(y).get(x).get(k).asInt();
                        }
                    }
                }
                cases.add(new Case(
                        c.get("name").asText(),
                        c.get("prompt").asText(),
                        c.get("negative").isNull() ? null : c.get("negative").asText(),
                        c.get("seed").asLong(),
                        c.get("steps").asInt(),
                        (float) c.get("guidance").asDouble(),
                        Scheduler.valueOf(c.get("scheduler").asText()),
                        width,
                        height,
                        pixels));
            }
            return cases;
        }
    }

    /** The RGB pixels of a PNG, as [y][x][channel]. */
    static int[][][] pixels(ByteBuffer png) throws IOException {
        byte[] bytes = new byte[png.remaining()];
        png.duplicate().get(bytes);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
        int[][][] out = new int[img.getHeight()][img.getWidth()][3];
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                out[y][x] = new int[] {(rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff};
            }
        }
        return out;
    }
}
