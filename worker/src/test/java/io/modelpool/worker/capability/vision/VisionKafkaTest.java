package io.modelpool.worker.capability.vision;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextLine;
import io.modelpool.v1.VisionRequest;
import io.modelpool.v1.VisionResult;
import io.modelpool.worker.capability.KafkaRoundTrip;
import io.modelpool.worker.capability.image.ImageFixtures;
import java.awt.Font;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Vision end to end: rendered pages and bad images through the devstack broker and registry to a worker
 * serving the real PP-OCRv4 models, on one partition, so the good pages queue behind the bad ones.
 */
class VisionKafkaTest {

    private static final List<List<RenderedText.Line>> PAGES = List.of(
            PpOcrTest.PAGE,
            List.of(
                    new RenderedText.Line("Receipt#0042", Font.SERIF, Font.PLAIN, 40),
                    new RenderedText.Line("2x@4.99=9.98", Font.MONOSPACED, Font.BOLD, 30),
                    new RenderedText.Line("VAT:19%", Font.SANS_SERIF, Font.PLAIN, 22)),
            List.of(new RenderedText.Line("https://example.org/a?b=1", Font.SANS_SERIF, Font.PLAIN, 24)));

    @Test
    void pagesReadExactlyAndBadImagesGetTypedErrorsWithoutStoppingTheWorker() throws Exception {
        byte[] png = RenderedText.encode(RenderedText.page(640, 640, PAGES.get(0)), "png");
        Map<String, VisionRequest> requests = new LinkedHashMap<>();
        requests.put("empty", PpOcrTest.request("empty", new byte[0], "image/png"));
        requests.put("truncated", PpOcrTest.request("truncated", ImageFixtures.truncated(png, 0.5), "image/png"));
        requests.put("huge", PpOcrTest.request("huge", ImageFixtures.pngDeclaring(20_000, 20_000), "image/png"));
        requests.put("gif", PpOcrTest.request("gif", png, "image/gif"));
        requests.put("mislabelled", PpOcrTest.request("mislabelled", png, "image/jpeg"));
        requests.put(
                "blank",
                PpOcrTest.request(
                        "blank", RenderedText.encode(RenderedText.page(640, 640, List.of()), "png"), "image/png"));
        for (int i = 0; i < PAGES.size(); i++) {
            String format = i == 1 ? "jpeg" : "png";
            requests.put(
                    "page-" + i,
                    PpOcrTest.request(
                            "page-" + i,
                            RenderedText.encode(RenderedText.page(640, 640, PAGES.get(i)), format),
                            "image/" + format));
        }

        Map<String, VisionResult> results = KafkaRoundTrip.run(
                Capability.VISION,
                PpOcrTest.MANIFEST,
                VisionRequest.class,
                VisionResult.class,
                requests,
                Duration.ofSeconds(120));

        assertThat(results).containsOnlyKeys(requests.keySet());
        assertThat(code(results.get("empty"))).isEqualTo(ErrorCode.EMPTY_INPUT);
        assertThat(code(results.get("truncated"))).isEqualTo(ErrorCode.CORRUPT_IMAGE);
        assertThat(code(results.get("huge"))).isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(code(results.get("gif"))).isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        assertThat(code(results.get("mislabelled"))).isEqualTo(ErrorCode.UNSUPPORTED_MEDIA_TYPE);
        assertThat(results.get("blank").getStatus()).isEqualTo(ResultStatus.OK);
        assertThat(results.get("blank").getPayload().getLines()).isEmpty();
        for (int i = 0; i < PAGES.size(); i++) {
            VisionResult r = results.get("page-" + i);
            assertThat(r.getStatus()).as("page-%d: %s", i, r.getError()).isEqualTo(ResultStatus.OK);
            assertThat(r.getPayload().getLines().stream().map(TextLine::getText).toList())
                    .as("page-%d", i)
                    .containsExactlyElementsOf(
                            PAGES.get(i).stream().map(RenderedText.Line::text).toList());
            assertThat(r.getWorkerId()).isNotBlank();
        }
    }

    private static ErrorCode code(VisionResult result) {
        assertThat(result.getStatus()).isEqualTo(ResultStatus.ERROR);
        assertThat(result.getError().getRetryable()).isFalse();
        return result.getError().getCode();
    }
}
