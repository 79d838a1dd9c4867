package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Per-request input bounds, checked before any tokenising or decoding.
 *
 * @param maxInputsPerRequest most inputs (texts) one request may carry; more is INPUT_TOO_LARGE
 * @param maxInputBytes       most UTF-8 bytes one text may have; more is INPUT_TOO_LARGE
 * @param maxImageBytes       most bytes one encoded image (vision, image-embedding) may have; more is
 *                            INPUT_TOO_LARGE
 * @param maxImagePixels      most pixels (width x height, read from the image header before the raster is
 *                            decoded) one image may have; more is INPUT_TOO_LARGE
 */
public record RequestLimits(
        @JsonProperty("max-inputs-per-request") Integer maxInputsPerRequest,
        @JsonProperty("max-input-bytes") Integer maxInputBytes,
        @JsonProperty("max-image-bytes") Integer maxImageBytes,
        @JsonProperty("max-image-pixels") Long maxImagePixels) {

    public static final int DEFAULT_MAX_INPUTS_PER_REQUEST = 256;
    public static final int DEFAULT_MAX_INPUT_BYTES = 64 * 1024;
    public static final int DEFAULT_MAX_IMAGE_BYTES = 16 * 1024 * 1024;
    /** 40 megapixels: a decoded 3-byte raster of at most 120 MB. */
    public static final long DEFAULT_MAX_IMAGE_PIXELS = 40_000_000L;

    public RequestLimits {
        maxInputsPerRequest = maxInputsPerRequest == null ? DEFAULT_MAX_INPUTS_PER_REQUEST : maxInputsPerRequest;
        maxInputBytes = maxInputBytes == null ? DEFAULT_MAX_INPUT_BYTES : maxInputBytes;
        maxImageBytes = maxImageBytes == null ? DEFAULT_MAX_IMAGE_BYTES : maxImageBytes;
        maxImagePixels = maxImagePixels == null ? DEFAULT_MAX_IMAGE_PIXELS : maxImagePixels;
    }

    /** Text limits with the default image limits. */
    public RequestLimits(Integer maxInputsPerRequest, Integer maxInputBytes) {
        this(maxInputsPerRequest, maxInputBytes, null, null);
    }

    public static RequestLimits defaults() {
        return new RequestLimits(null, null, null, null);
    }
}
