package io.modelpool.worker.capability.image;

/**
 * Raster operations on {@link BgrImage}s, with OpenCV's conventions so that models trained on OpenCV
 * preprocessing (PP-OCR, most CNN exports) see the pixels they expect: pixel centres at half-integers,
 * bilinear sampling, borders replicated.
 */
public final class ImageOps {

    private ImageOps() {}

    /** Bilinear resize to {@code width} x {@code height} ({@code cv2.resize} with INTER_LINEAR). */
    public static BgrImage resize(BgrImage src, int width, int height) {
        if (width == src.width() && height == src.height()) {
            return src;
        }
        byte[] out = new byte[width * height * 3];
        double sx = (double) src.width() / width;
        double sy = (double) src.height() / height;
        int[] x0 = new int[width];
        int[] x1 = new int[width];
        float[] fx = new float[width];
        for (int x = 0; x < width; x++) {
            double s = Math.max(0, (x + 0.5) * sx - 0.5);
            int i = Math.min((int) s, src.width() - 1);
            x0[x] = i;
            x1[x] = Math.min(i + 1, src.width() - 1);
            fx[x] = (float) (s - i);
        }
        byte[] in = src.data();
        int stride = src.width() * 3;
        for (int y = 0; y < height; y++) {
            double s = Math.max(0, (y + 0.5) * sy - 0.5);
            int y0 = Math.min((int) s, src.height() - 1);
            int y1 = Math.min(y0 + 1, src.height() - 1);
            float fy = (float) (s - y0);
            int r0 = y0 * stride;
            int r1 = y1 * stride;
            int o = y * width * 3;
            for (int x = 0; x < width; x++) {
                int a = x0[x] * 3;
                int b = x1[x] * 3;
                float wx = fx[x];
                for (int c = 0; c < 3; c++) {
                    float top = (in[r0 + a + c] & 0xFF) * (1 - wx) + (in[r0 + b + c] & 0xFF) * wx;
                    float bottom = (in[r1 + a + c] & 0xFF) * (1 - wx) + (in[r1 + b + c] & 0xFF) * wx;
                    out[o++] = (byte) Math.round(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return new BgrImage(width, height, out);
    }

    /**
     * The part of {@code src} under a quadrilateral, straightened to {@code width} x {@code height}: output
     * pixel (u, v) samples {@code p0 + u/width (p1 - p0) + v/height (p3 - p0)} bilinearly, borders
     * replicated. For the parallelograms text detectors return this is exactly the perspective warp PP-OCR
     * applies; {@code quad} holds x0, y0 ... x3, y3 clockwise from the top-left corner.
     */
    public static BgrImage crop(BgrImage src, float[] quad, int width, int height) {
        byte[] out = new byte[width * height * 3];
        double ux = (quad[2] - quad[0]) / (double) width;
        double uy = (quad[3] - quad[1]) / (double) width;
        double vx = (quad[6] - quad[0]) / (double) height;
        double vy = (quad[7] - quad[1]) / (double) height;
        byte[] in = src.data();
        int w = src.width();
        int h = src.height();
        int o = 0;
        for (int v = 0; v < height; v++) {
            for (int u = 0; u < width; u++) {
                double x = quad[0] + u * ux + v * vx;
                double y = quad[1] + u * uy + v * vy;
                int xi = (int) Math.floor(x);
                int yi = (int) Math.floor(y);
                double fx = x - xi;
                double fy = y - yi;
                int xa = clamp(xi, w);
                int xb = clamp(xi + 1, w);
                int ya = clamp(yi, h);
                int yb = clamp(yi + 1, h);
                for (int c = 0; c < 3; c++) {
                    double top =
                            (in[(ya * w + xa) * 3 + c] & 0xFF) * (1 - fx) + (in[(ya * w + xb) * 3 + c] & 0xFF) * fx;
                    double bottom =
                            (in[(yb * w + xa) * 3 + c] & 0xFF) * (1 - fx) + (in[(yb * w + xb) * 3 + c] & 0xFF) * fx;
                    out[o++] = (byte) Math.round(top * (1 - fy) + bottom * fy);
                }
            }
        }
        return new BgrImage(width, height, out);
    }

    /** Rotated a quarter turn counter-clockwise ({@code numpy.rot90}). */
    public static BgrImage rotate90(BgrImage src) {
        int w = src.width();
        int h = src.height();
        byte[] out = new byte[w * h * 3];
        byte[] in = src.data();
        // output is h wide and w high; output (x, y) = input (w - 1 - y, x)
        for (int y = 0; y < w; y++) {
            for (int x = 0; x < h; x++) {
                System.arraycopy(in, (x * w + (w - 1 - y)) * 3, out, (y * h + x) * 3, 3);
            }
        }
        return new BgrImage(h, w, out);
    }

    /** Rotated half a turn. */
    public static BgrImage rotate180(BgrImage src) {
        byte[] in = src.data();
        byte[] out = new byte[in.length];
        int n = src.width() * src.height();
        for (int p = 0; p < n; p++) {
            System.arraycopy(in, p * 3, out, (n - 1 - p) * 3, 3);
        }
        return new BgrImage(src.width(), src.height(), out);
    }

    private static int clamp(int i, int size) {
        return i < 0 ? 0 : Math.min(i, size - 1);
    }
}
