package io.modelpool.worker.capability.vision;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.modelpool.worker.manifest.ModelDefinition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** DB post-processing and its geometry on hand-made probability maps. */
class DbGeometryTest {

    /** The defaults, without the dilation, whose one pixel of growth the geometry below leaves out. */
    private static final PpOcrParameters DEFAULTS = PpOcrParameters.from(new ModelDefinition(
            "m",
            "vision",
            "pp-ocr",
            "classpath:d.onnx",
            null,
            null,
            Map.of(
                    "recognizer",
                    "classpath:r.onnx",
                    "classifier",
                    "classpath:c.onnx",
                    "keys",
                    "classpath:k.txt",
                    "det-dilate",
                    false),
            null,
            null,
            null));

    @Test
    void theMinimumAreaRectangleOfATiltedBarFollowsItsTilt() {
        // pixel centres of a bar 20 long rising one row every 4 columns, 3 rows thick
        int[] xs = new int[60];
        int[] ys = new int[60];
        int n = 0;
        for (int x = 0; x < 20; x++) {
            for (int t = 0; t < 3; t++) {
                xs[n] = x;
                ys[n++] = 10 - x / 4 + t;
            }
        }
        float[] r = MinAreaRect.of(xs, ys, n);

        double angle = Math.toDegrees(Math.atan2(r[3] - r[1], r[2] - r[0]));
        assertThat(angle).as("top edge rises to the right").isBetween(-16.0, -8.0);
        assertThat(r[0]).as("top-left is left of top-right").isLessThan(r[2]);
        assertThat(r[7]).as("bottom-left is below top-left").isGreaterThan(r[1]);
    }

    @Test
    void aTextBlobBecomesOneUnclippedBoxScaledToTheOriginalImage() {
        int w = 64;
        int h = 32;
        float[] prob = new float[w * h];
        for (int y = 12; y < 18; y++) {
            for (int x = 10; x < 50; x++) {
                prob[y * w + x] = 0.9f;
            }
        }
        List<float[]> boxes = DbPostProcess.boxes(prob, w, h, 2 * w, 2 * h, DEFAULTS);

        assertThat(boxes).hasSize(1);
        float[] b = boxes.get(0);
        // kernel 39 x 5 between pixel centres; grown by 39 * 5 * 1.6 / (2 * 44) = 3.55 on each side, then doubled
        assertThat((double) b[0]).isCloseTo(2 * (10 - 3.55), within(1.01));
        assertThat((double) b[1]).isCloseTo(2 * (12 - 3.55), within(1.01));
        assertThat((double) b[4]).isCloseTo(2 * (49 + 3.55), within(1.01));
        assertThat((double) b[5]).isCloseTo(2 * (17 + 3.55), within(1.01));
    }

    @Test
    void faintAndTinyBlobsAreNotText() {
        int w = 40;
        float[] prob = new float[w * w];
        for (int y = 5; y < 12; y++) {
            for (int x = 5; x < 30; x++) {
                prob[y * w + x] = 0.4f; // above the pixel threshold, under the box threshold
            }
        }
        prob[30 * w + 30] = 0.99f; // one pixel
        assertThat(DbPostProcess.boxes(prob, w, w, w, w, DEFAULTS)).isEmpty();
    }

    @Test
    void readingOrderIsTopToBottomThenLeftToRightWithinTenPixels() {
        float[] right = {100, 52, 150, 52, 150, 70, 100, 70};
        float[] left = {10, 50, 60, 50, 60, 70, 10, 70};
        float[] below = {10, 90, 60, 90, 60, 110, 10, 110};

        assertThat(ReadingOrder.sort(List.of(below, right, left))).containsExactly(left, right, below);
    }

    @Test
    void aTiltedLineReadsLeftToRightBeforeTheLineBelowItsRaisedEnd() {
        // a page turned 2 degrees: each line rises 35 px over its 1000 px, more than the 30 px between lines
        float[] firstStart = {0, 100, 500, 82.5f, 500, 102.5f, 0, 120};
        float[] firstEnd = {520, 81.8f, 1000, 65, 1000, 85, 520, 101.8f};
        float[] secondStart = {0, 130, 500, 112.5f, 500, 132.5f, 0, 150};
        float[] secondEnd = {520, 111.8f, 1000, 95, 1000, 115, 520, 131.8f};

        assertThat(ReadingOrder.sort(List.of(secondEnd, firstEnd, secondStart, firstStart)))
                .containsExactly(firstStart, firstEnd, secondStart, secondEnd);
    }

    @Test
    void dilationJoinsTheKernelsOfNeighbouringCharacters() {
        // two kernels one pixel apart on a 7 x 3 map
        float[] prob = new float[21];
        prob[7 + 2] = 0.9f;
        prob[7 + 4] = 0.9f;

        boolean[] plain = DbPostProcess.binarise(prob, 7, 3, 0.3f, false);
        boolean[] dilated = DbPostProcess.binarise(prob, 7, 3, 0.3f, true);

        assertThat(plain[7 + 3]).isFalse();
        assertThat(dilated[7 + 3]).isTrue();
        assertThat(dilated[1]).as("diagonal neighbour").isTrue();
        assertThat(dilated[0]).isFalse();
    }
}
