package io.modelpool.worker.capability.vision;

import java.util.Arrays;

/**
 * The smallest-area rectangle, at any angle, enclosing a set of points: the convex hull (Andrew's monotone
 * chain), then rotating calipers, which need test only rectangles with one side along a hull edge (Freeman
 * and Shapira, 1975; Toussaint, 1983). This is what OpenCV's {@code minAreaRect} computes, which PP-OCR's
 * DB post-processing uses.
 */
final class MinAreaRect {

    private MinAreaRect() {}

    /**
     * The rectangle's corners, x0, y0 ... x3, y3, ordered as PP-OCR's {@code get_mini_boxes} does: the two
     * leftmost corners give the top-left (smaller y) and bottom-left, the two rightmost the top-right and
     * bottom-right; returned top-left, top-right, bottom-right, bottom-left. Fewer than two distinct points
     * give a degenerate rectangle of zero size.
     *
     * @param xs point x coordinates; {@code n} used
     * @param ys point y coordinates
     */
    static float[] of(int[] xs, int[] ys, int n) {
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            packed[i] = ((long) xs[i] << 32) | (ys[i] & 0xFFFFFFFFL);
        }
        Arrays.sort(packed);
        double[] hx = new double[2 * n];
        double[] hy = new double[2 * n];
        int k = 0;
        for (int pass = 0; pass < 2; pass++) {
            int start = k;
            for (int j = 0; j < n; j++) {
                long p = packed[pass == 0 ? j : n - 1 - j];
                double x = (int) (p >> 32);
                double y = (int) p;
                while (k >= start + 2 && cross(hx[k - 2], hy[k - 2], hx[k - 1], hy[k - 1], x, y) <= 0) {
                    k--;
                }
                hx[k] = x;
                hy[k] = y;
                k++;
            }
            k--; // the last point of each chain is the first of the other
        }
        int h = Math.max(k, 1);
        if (h < 2) {
            return order(new double[] {hx[0], hx[0], hx[0], hx[0]}, new double[] {hy[0], hy[0], hy[0], hy[0]});
        }
        double best = Double.MAX_VALUE;
        double[] bx = null;
        double[] by = null;
        for (int i = 0; i < h; i++) {
            int j = (i + 1) % h;
            double ex = hx[j] - hx[i];
            double ey = hy[j] - hy[i];
            double len = Math.hypot(ex, ey);
            if (len == 0) {
                continue;
            }
            ex /= len;
            ey /= len;
            double minU = Double.MAX_VALUE;
            double maxU = -Double.MAX_VALUE;
            double minV = Double.MAX_VALUE;
            double maxV = -Double.MAX_VALUE;
            for (int q = 0; q < h; q++) {
                double dx = hx[q] - hx[i];
                double dy = hy[q] - hy[i];
                double u = dx * ex + dy * ey;
                double v = -dx * ey + dy * ex;
                minU = Math.min(minU, u);
                maxU = Math.max(maxU, u);
                minV = Math.min(minV, v);
                maxV = Math.max(maxV, v);
            }
            double area = (maxU - minU) * (maxV - minV);
            if (area < best - 1e-9) {
                best = area;
                bx = new double[4];
                by = new double[4];
                double[][] uv = {{minU, minV}, {maxU, minV}, {maxU, maxV}, {minU, maxV}};
                for (int c = 0; c < 4; c++) {
                    bx[c] = hx[i] + uv[c][0] * ex - uv[c][1] * ey;
                    by[c] = hy[i] + uv[c][0] * ey + uv[c][1] * ex;
                }
            }
        }
        if (bx == null) {
            return order(new double[] {hx[0], hx[0], hx[0], hx[0]}, new double[] {hy[0], hy[0], hy[0], hy[0]});
        }
        return order(bx, by);
    }

    /** A rectangle grown by {@code distance} on every side, corners in the same order. */
    static float[] grow(float[] rect, double distance) {
        double cx = (rect[0] + rect[2] + rect[4] + rect[6]) / 4;
        double cy = (rect[1] + rect[3] + rect[5] + rect[7]) / 4;
        double w = Math.hypot(rect[2] - rect[0], rect[3] - rect[1]);
        double h = Math.hypot(rect[6] - rect[0], rect[7] - rect[1]);
        double ux = w > 0 ? (rect[2] - rect[0]) / w : 1;
        double uy = w > 0 ? (rect[3] - rect[1]) / w : 0;
        double vx = h > 0 ? (rect[6] - rect[0]) / h : -uy;
        double vy = h > 0 ? (rect[7] - rect[1]) / h : ux;
        double hw = w / 2 + distance;
        double hh = h / 2 + distance;
        double[] xs = new double[4];
        double[] ys = new double[4];
        double[][] signs = {{-1, -1}, {1, -1}, {1, 1}, {-1, 1}};
        for (int c = 0; c < 4; c++) {
            xs[c] = cx + signs[c][0] * hw * ux + signs[c][1] * hh * vx;
            ys[c] = cy + signs[c][0] * hw * uy + signs[c][1] * hh * vy;
        }
        return order(xs, ys);
    }

    /** The shorter side of a rectangle given as four corners. */
    static double shortSide(float[] rect) {
        return Math.min(
                Math.hypot(rect[2] - rect[0], rect[3] - rect[1]), Math.hypot(rect[6] - rect[0], rect[7] - rect[1]));
    }

    /** PP-OCR's corner order: top-left, top-right, bottom-right, bottom-left. */
    static float[] order(double[] xs, double[] ys) {
        Integer[] idx = {0, 1, 2, 3};
        Arrays.sort(idx, (a, b) -> Double.compare(xs[a], xs[b]));
        int tl;
        int bl;
        if (ys[idx[1]] > ys[idx[0]]) {
            tl = idx[0];
            bl = idx[1];
        } else {
            tl = idx[1];
            bl = idx[0];
        }
        int tr;
        int br;
        if (ys[idx[3]] > ys[idx[2]]) {
            tr = idx[2];
            br = idx[3];
        } else {
            tr = idx[3];
            br = idx[2];
        }
        return new float[] {
            (float) xs[tl],
            (float) ys[tl],
            (float) xs[tr],
            (float) ys[tr],
            (float) xs[br],
            (float) ys[br],
            (float) xs[bl],
            (float) ys[bl]
        };
    }

    private static double cross(double ox, double oy, double ax, double ay, double bx, double by) {
        return (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);
    }
}
