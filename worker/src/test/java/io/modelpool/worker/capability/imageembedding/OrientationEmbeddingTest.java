package io.modelpool.worker.capability.imageembedding;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ImageEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.ManifestLoader;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The image-encoder family on a real model: PP-OCR's orientation classifier, whose two outputs (upright,
 * upside down) serve as a two-dimensional embedding of a line of text.
 */
class OrientationEmbeddingTest {

    private static PoolGroup registry;

    @BeforeAll
    static void open() {
        registry = CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:imageembedding/pp-orientation.yaml"));
        registry.awaitLoaded(Duration.ofSeconds(30));
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    @Test
    void tellsUprightFromUpsideDownLinesOfText() throws Exception {
        for (String text : List.of("Quarterly report 2024", "Kafka offsets: 1,024", "modelpool")) {
            float[] upright = embed(line(text, false));
            float[] flipped = embed(line(text, true));

            assertThat(upright).as(text).hasSize(2);
            assertThat(upright[0]).as("upright '%s' scores upright", text).isGreaterThan(upright[1]);
            assertThat(flipped[1]).as("flipped '%s' scores upside down", text).isGreaterThan(flipped[0]);
        }
    }

    private static float[] embed(byte[] png) throws Exception {
        ImageEmbeddingResult result = (ImageEmbeddingResult) registry.service(Capability.IMAGE_EMBEDDING)
                .handle(ImageEncoderTest.request("pp-orientation", png, "image/png"), new RequestContext("test", 0))
                .get(30, TimeUnit.SECONDS)
                .record();
        return ImageEncoderTest.vector(result);
    }

    /** One line of black text on white, 48 px high, optionally turned half a turn. */
    private static byte[] line(String text, boolean upsideDown) throws Exception {
        BufferedImage image = new BufferedImage(10 * text.length() + 20, 48, BufferedImage.TYPE_3BYTE_BGR);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            if (upsideDown) {
                g.setTransform(AffineTransform.getRotateInstance(Math.PI, image.getWidth() / 2.0, 24));
            }
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            g.setColor(Color.BLACK);
            g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 18));
            g.drawString(text, 10, 31);
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }
}
