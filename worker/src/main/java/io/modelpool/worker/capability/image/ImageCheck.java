package io.modelpool.worker.capability.image;

import io.modelpool.v1.ErrorCode;

/** What checking an encoded image's header found: it may be decoded, or the request is refused and why. */
public sealed interface ImageCheck {

    /** The header is readable and within the limits. */
    record Accepted(byte[] data, ImageFormat format, int width, int height) implements ImageCheck {

        public long pixels() {
            return (long) width * height;
        }
    }

    /**
     * The image is refused: EMPTY_INPUT (no bytes), UNSUPPORTED_MEDIA_TYPE (a type or signature this worker
     * does not read, or a signature that contradicts the declared type), INPUT_TOO_LARGE (bytes or pixel
     * budget), CORRUPT_IMAGE (an unreadable header).
     */
    record Refused(ErrorCode code, String message) implements ImageCheck {}
}
