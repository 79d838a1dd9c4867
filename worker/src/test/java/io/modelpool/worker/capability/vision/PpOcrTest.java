package io.modelpool.worker.capability.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ImageInput;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextLine;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.ManifestLoader;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pp-ocr family on the real PP-OCRv4 models, through the vision service and its pool (no Kafka). */
class PpOcrTest {

    static final String MANIFEST = "classpath:vision/pp-ocr.yaml";

    /**
     * A page of several fonts, styles and sizes with digits and punctuation. The lines have no spaces: the
     * jar's recogniser is PP-OCRv4's Chinese model, trained on text that has none between words, and whether
     * it writes the space of an English line changes with a pixel of the crop (see docs/models.md).
     */
    static final List<RenderedText.Line> PAGE = List.of(
            new RenderedText.Line("Invoice#2024-07-15", Font.SANS_SERIF, Font.PLAIN, 28),
            new RenderedText.Line("TOTAL:$1,234.56", Font.SERIF, Font.BOLD, 32),
            new RenderedText.Line("ORDER-98765/B", Font.MONOSPACED, Font.PLAIN, 24),
            new RenderedText.Line("Hello,World!", Font.SANS_SERIF, Font.ITALIC, 26),
            new RenderedText.Line("user@example.com", Font.SERIF, Font.PLAIN, 36),
            new RenderedText.Line("(3.14159+42%)", Font.SANS_SERIF, Font.BOLD, 20));

    private static PoolGroup registry;
    private static VisionResult pageAlone;

    @BeforeAll
    static void open() {
        registry = CapabilityRegistry.fromManifest(ManifestLoader.load(MANIFEST));
        registry.awaitLoaded(Duration.ofSeconds(60));
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    static BufferedImage page() {
        return RenderedText.page(640, 640, PAGE);
    }

    /** The page read alone, once for the tests that need it (a page takes about a second). */
    private static synchronized VisionResult pageAlone() throws Exception {
        if (pageAlone == null) {
            pageAlone = read("page", RenderedText.encode(page(), "png"), "image/png");
        }
        return pageAlone;
    }

    static List<String> expectedTexts() {
        return PAGE.stream().map(RenderedText.Line::text).toList();
    }

    @Test
    void readsEveryRenderedLineExactlyInReadingOrderWithBoxesAndConfidences() throws Exception {
        VisionResult result = pageAlone();

        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        assertThat(texts(result)).containsExactlyElementsOf(expectedTexts());
        assertThat(result.getPayload().getFullText()).isEqualTo(String.join("\n", expectedTexts()));
        int previousTop = -1;
        for (TextLine line : result.getPayload().getLines()) {
            assertThat(line.getConfidence()).as(line.getText()).isBetween(0.9f, 1f);
            assertThat(line.getBox()).hasSize(4);
            assertThat(line.getBox().get(0).getX())
                    .as("lines are drawn from x = 30")
                    .isBetween(20, 40);
            assertThat(line.getBox().get(0).getY())
                    .as("reading order is top to bottom")
                    .isGreaterThan(previousTop);
            assertThat(line.getBox().get(2).getX())
                    .isGreaterThan(line.getBox().get(0).getX() + 100);
            previousTop = line.getBox().get(0).getY();
        }
    }

    @Test
    void turnsUpsideDownLinesUprightWithTheOrientationClassifier() throws Exception {
        VisionResult result = read("flipped", RenderedText.encode(RenderedText.upsideDown(page()), "png"), "image/png");

        List<String> bottomUp = new ArrayList<>(expectedTexts());
        java.util.Collections.reverse(bottomUp);
        assertThat(texts(result)).containsExactlyElementsOf(bottomUp);
    }

    @Test
    void anImageWithoutTextIsAnOkResultWithNoLines() throws Exception {
        VisionResult result =
                read("blank", RenderedText.encode(RenderedText.page(320, 200, List.of()), "png"), "image/png");

        assertThat(result.getStatus()).isEqualTo(ResultStatus.OK);
        assertThat(result.getPayload().getLines()).isEmpty();
        assertThat(result.getPayload().getFullText()).isEmpty();
    }

    @Test
    void aPageReadsTheSameAloneAndBatchedWithOtherRequestsAndBadImages() throws Exception {
        byte[] good = RenderedText.encode(page(), "png");
        VisionResult alone = pageAlone();
        byte[] other = RenderedText.encode(
                RenderedText.page(
                        400, 120, List.of(new RenderedText.Line("Batch42/97", Font.MONOSPACED, Font.BOLD, 30))),
                "png");
        byte[] truncated = Arrays.copyOf(good, good.length / 2);

        CapabilityService service = registry.service(Capability.VISION);
        List<CompletableFuture<Outcome>> futures = new ArrayList<>();
        futures.add(service.handle(request("other", other, "image/png"), new RequestContext("test", 0)));
        futures.add(service.handle(request("truncated", truncated, "image/png"), new RequestContext("test", 0)));
        futures.add(service.handle(request("batched", good, "image/png"), new RequestContext("test", 0)));
        futures.add(service.handle(request("other-2", other, "image/png"), new RequestContext("test", 0)));
        List<VisionResult> results = new ArrayList<>();
        for (CompletableFuture<Outcome> f : futures) {
            results.add((VisionResult) f.get(60, TimeUnit.SECONDS).record());
        }

        assertThat(texts(results.get(0))).containsExactly("Batch42/97");
        assertThat(results.get(1).getError().getCode()).isEqualTo(ErrorCode.CORRUPT_IMAGE);
        assertThat(results.get(2).getPayload())
                .as("same lines, boxes and confidences")
                .isEqualTo(alone.getPayload());
        assertThat(texts(results.get(3))).containsExactly("Batch42/97");
    }

    static List<String> texts(VisionResult result) {
        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        return result.getPayload().getLines().stream().map(TextLine::getText).toList();
    }

    static VisionRequest request(String id, byte[] image, String mediaType) {
        return VisionRequest.newBuilder()
                .setId(id)
                .setModel("pp-ocrv4")
                .setImage(new ImageInput(ByteBuffer.wrap(image), mediaType))
                .build();
    }

    static VisionResult read(String id, byte[] image, String mediaType) throws Exception {
        CapabilityService service = registry.service(Capability.VISION);
        CompletableFuture<Outcome> f = service.handle(request(id, image, mediaType), new RequestContext("test", 0));
        return (VisionResult) f.get(60, TimeUnit.SECONDS).record();
    }
}
