package io.modelpool.worker.capability.image;

import io.modelpool.worker.manifest.RequestLimits;

/**
 * Bounds on one encoded image, checked before its raster is decoded.
 *
 * @param maxBytes  most bytes of the encoded file
 * @param maxPixels most pixels (width x height) its header may declare
 */
public record ImageLimits(long maxBytes, long maxPixels) {

    public ImageLimits {
        if (maxBytes < 1 || maxPixels < 1) {
            throw new IllegalArgumentException(
                    "image limits must be >= 1, got max-image-bytes " + maxBytes + ", max-image-pixels " + maxPixels);
        }
    }

    /** The manifest's {@code limits.max-image-bytes} and {@code limits.max-image-pixels}. */
    public static ImageLimits from(RequestLimits limits) {
        return new ImageLimits(limits.maxImageBytes(), limits.maxImagePixels());
    }
}
