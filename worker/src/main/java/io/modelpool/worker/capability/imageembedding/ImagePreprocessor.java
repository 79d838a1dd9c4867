package io.modelpool.worker.capability.imageembedding;

import io.modelpool.worker.capability.image.BgrImage;
import io.modelpool.worker.capability.image.ImageOps;

/**
 * Turns a decoded image into one item of the encoder's input tensor as the manifest declares: resize
 * (stretch, or cover-then-centre-crop), {@code (value x rescale - mean[c]) / std[c]} per channel in the
 * declared channel order, NCHW or NHWC. Stateless and thread-safe.
 */
final class ImagePreprocessor {

    private final ImageEncoderParameters p;

    ImagePreprocessor(ImageEncoderParameters parameters) {
        this.p = parameters;
    }

    /** Floats per image: 3 x width x height. */
    int itemSize() {
        return 3 * p.width() * p.height();
    }

    /** Writes the image's tensor item at {@code offset} of {@code out}. */
    void fill(BgrImage image, float[] out, int offset) {
        BgrImage sized = p.centerCrop() ? coverAndCrop(image) : ImageOps.resize(image, p.width(), p.height());
        byte[] px = sized.data();
        int plane = p.width() * p.height();
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                // BgrImage stores blue, green, red: channel c of RGB order is byte 2 - c
                int value = px[i * 3 + (p.bgr() ? c : 2 - c)] & 0xFF;
                float v = (value * p.rescale() - p.mean()[c]) / p.std()[c];
                out[offset + (p.nhwc() ? i * 3 + c : c * plane + i)] = v;
            }
        }
    }

    private BgrImage coverAndCrop(BgrImage image) {
        double scale = Math.max((double) p.width() / image.width(), (double) p.height() / image.height());
        int w = Math.max(p.width(), (int) Math.round(image.width() * scale));
        int h = Math.max(p.height(), (int) Math.round(image.height() * scale));
        BgrImage covered = ImageOps.resize(image, w, h);
        if (w == p.width() && h == p.height()) {
            return covered;
        }
        int left = (w - p.width()) / 2;
        int top = (h - p.height()) / 2;
        byte[] out = new byte[p.width() * p.height() * 3];
        for (int y = 0; y < p.height(); y++) {
            System.arraycopy(covered.data(), ((top + y) * w + left) * 3, out, y * p.width() * 3, p.width() * 3);
        }
        return new BgrImage(p.width(), p.height(), out);
    }
}
