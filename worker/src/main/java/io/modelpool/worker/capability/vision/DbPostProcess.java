package io.modelpool.worker.capability.vision;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a DB (Differentiable Binarization; Liao et al., AAAI 2020) text probability map into text boxes, as
 * PP-OCR's {@code DBPostProcess} does with OpenCV:
 * <ol>
 *   <li>binarise at {@code binary-threshold}, then, with {@code det-dilate}, dilate the mask by a 3 x 3
 *       square as RapidOCR does, so that the kernels of one line's words join;</li>
 *   <li>find the 8-connected components (OpenCV traces their outer contours; the component's pixels have the
 *       same convex hull), at most {@code max-candidates};</li>
 *   <li>fit each the smallest rotated rectangle ({@link MinAreaRect}); drop those whose short side is under
 *       3 pixels;</li>
 *   <li>score it by the mean probability inside it ("fast" score mode); drop those under
 *       {@code box-threshold};</li>
 *   <li>unclip: DB's kernels are shrunk text regions, so grow the rectangle by area x ratio / perimeter on
 *       every side (the offset polygon's bounding rectangle, which is what {@code pyclipper} and
 *       {@code minAreaRect} give PP-OCR); drop those whose short side is then under 5 pixels;</li>
 *   <li>scale to the original image and clip to it.</li>
 * </ol>
 *
 * <p>Stateless and thread-safe.
 */
final class DbPostProcess {

    private static final int MIN_SIZE = 3;

    private DbPostProcess() {}

    /**
     * Text boxes in original image pixels, corners top-left, top-right, bottom-right, bottom-left.
     *
     * @param prob  the probability map, {@code mapHeight} rows of {@code mapWidth}
     * @param origW original image width
     * @param origH original image height
     */
    static List<float[]> boxes(float[] prob, int mapWidth, int mapHeight, int origW, int origH, PpOcrParameters p) {
        int n = mapWidth * mapHeight;
        boolean[] text = binarise(prob, mapWidth, mapHeight, (float) p.binaryThreshold(), p.detDilate());
        int[] label = new int[n];
        Arrays.fill(label, -1);
        int[] stack = new int[n];
        int components = 0;
        for (int start = 0; start < n && components < p.maxCandidates(); start++) {
            if (label[start] >= 0 || !text[start]) {
                continue;
            }
            int top = 0;
            stack[top++] = start;
            label[start] = components;
            while (top > 0) {
                int at = stack[--top];
                int x = at % mapWidth;
                int y = at / mapWidth;
                for (int dy = -1; dy <= 1; dy++) {
                    int yy = y + dy;
                    if (yy < 0 || yy >= mapHeight) {
                        continue;
                    }
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx;
                        if (xx < 0 || xx >= mapWidth) {
                            continue;
                        }
                        int q = yy * mapWidth + xx;
                        if (label[q] < 0 && text[q]) {
                            label[q] = components;
                            stack[top++] = q;
                        }
                    }
                }
            }
            components++;
        }
        // the ends of each horizontal run of a component span the component's convex hull
        int[][] xs = new int[components][];
        int[][] ys = new int[components][];
        int[] counts = new int[components];
        for (int y = 0; y < mapHeight; y++) {
            int row = y * mapWidth;
            int x = 0;
            while (x < mapWidth) {
                int c = label[row + x];
                if (c < 0) {
                    x++;
                    continue;
                }
                int end = x;
                while (end + 1 < mapWidth && label[row + end + 1] == c) {
                    end++;
                }
                if (xs[c] == null) {
                    xs[c] = new int[16];
                    ys[c] = new int[16];
                } else if (counts[c] + 2 > xs[c].length) {
                    xs[c] = Arrays.copyOf(xs[c], xs[c].length * 2);
                    ys[c] = Arrays.copyOf(ys[c], ys[c].length * 2);
                }
                xs[c][counts[c]] = x;
                ys[c][counts[c]++] = y;
                xs[c][counts[c]] = end;
                ys[c][counts[c]++] = y;
                x = end + 1;
            }
        }
        List<float[]> boxes = new ArrayList<>();
        double scaleX = (double) origW / mapWidth;
        double scaleY = (double) origH / mapHeight;
        for (int c = 0; c < components; c++) {
            float[] rect = MinAreaRect.of(xs[c], ys[c], counts[c]);
            if (MinAreaRect.shortSide(rect) < MIN_SIZE) {
                continue;
            }
            if (score(prob, mapWidth, mapHeight, rect) < p.boxThreshold()) {
                continue;
            }
            double w = Math.hypot(rect[2] - rect[0], rect[3] - rect[1]);
            double h = Math.hypot(rect[6] - rect[0], rect[7] - rect[1]);
            double distance = w * h * p.unclipRatio() / (2 * (w + h));
            float[] grown = MinAreaRect.grow(rect, distance);
            if (MinAreaRect.shortSide(grown) < MIN_SIZE + 2) {
                continue;
            }
            float[] box = new float[8];
            for (int i = 0; i < 4; i++) {
                box[2 * i] = (float) clamp(Math.round(grown[2 * i] * scaleX), origW);
                box[2 * i + 1] = (float) clamp(Math.round(grown[2 * i + 1] * scaleY), origH);
            }
            boxes.add(box);
        }
        return boxes;
    }

    /**
     * The text mask: pixels above {@code threshold}, grown by one pixel in all eight directions when
     * {@code dilate} is set (a 3 x 3 dilation, which joins the kernels of neighbouring characters and words
     * into one line).
     */
    static boolean[] binarise(float[] prob, int mapWidth, int mapHeight, float threshold, boolean dilate) {
        int n = mapWidth * mapHeight;
        boolean[] above = new boolean[n];
        for (int i = 0; i < n; i++) {
            above[i] = prob[i] > threshold;
        }
        if (!dilate) {
            return above;
        }
        // separable: a row pass, then a column pass over its result
        boolean[] rows = new boolean[n];
        for (int y = 0; y < mapHeight; y++) {
            int row = y * mapWidth;
            for (int x = 0; x < mapWidth; x++) {
                rows[row + x] =
                        above[row + x] || (x > 0 && above[row + x - 1]) || (x + 1 < mapWidth && above[row + x + 1]);
            }
        }
        boolean[] out = new boolean[n];
        for (int y = 0; y < mapHeight; y++) {
            int row = y * mapWidth;
            for (int x = 0; x < mapWidth; x++) {
                out[row + x] = rows[row + x]
                        || (y > 0 && rows[row - mapWidth + x])
                        || (y + 1 < mapHeight && rows[row + mapWidth + x]);
            }
        }
        return out;
    }

    /** Mean probability over the pixels whose centres lie in the rectangle (edges included). */
    static double score(float[] prob, int mapWidth, int mapHeight, float[] rect) {
        int xmin = (int) Math.max(0, Math.floor(min(rect, 0)));
        int xmax = (int) Math.min(mapWidth - 1, Math.ceil(max(rect, 0)));
        int ymin = (int) Math.max(0, Math.floor(min(rect, 1)));
        int ymax = (int) Math.min(mapHeight - 1, Math.ceil(max(rect, 1)));
        double sum = 0;
        int count = 0;
        for (int y = ymin; y <= ymax; y++) {
            for (int x = xmin; x <= xmax; x++) {
                if (inside(rect, x, y)) {
                    sum += prob[y * mapWidth + x];
                    count++;
                }
            }
        }
        return count == 0 ? 0 : sum / count;
    }

    /** Inside a convex clockwise (in image coordinates) quadrilateral, with half a pixel of tolerance. */
    private static boolean inside(float[] q, double x, double y) {
        for (int i = 0; i < 4; i++) {
            double ax = q[2 * i];
            double ay = q[2 * i + 1];
            double bx = q[(2 * i + 2) % 8];
            double by = q[(2 * i + 3) % 8];
            double len = Math.hypot(bx - ax, by - ay);
            double cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax);
            if (cross < -0.5 * Math.max(len, 1e-9)) {
                return false;
            }
        }
        return true;
    }

    private static double min(float[] q, int offset) {
        return Math.min(Math.min(q[offset], q[offset + 2]), Math.min(q[offset + 4], q[offset + 6]));
    }

    private static double max(float[] q, int offset) {
        return Math.max(Math.max(q[offset], q[offset + 2]), Math.max(q[offset + 4], q[offset + 6]));
    }

    private static double clamp(double v, int size) {
        return Math.max(0, Math.min(v, size));
    }
}
