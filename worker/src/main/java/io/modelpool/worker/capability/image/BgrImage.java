package io.modelpool.worker.capability.image;

/**
 * A decoded raster: 8-bit blue, green, red per pixel, interleaved, rows top to bottom. The array is not
 * copied; callers treat it as read-only once the image is built.
 */
public record BgrImage(int width, int height, byte[] data) {

    public BgrImage {
        if (width < 1 || height < 1 || data.length != width * height * 3) {
            throw new IllegalArgumentException("a " + width + "x" + height + " BGR image needs "
                    + (long) width * height * 3 + " bytes, got " + data.length);
        }
    }

    /** Channel {@code c} (0 blue, 1 green, 2 red) of pixel (x, y), 0..255. */
    public int at(int x, int y, int c) {
        return data[(y * width + x) * 3 + c] & 0xFF;
    }
}
