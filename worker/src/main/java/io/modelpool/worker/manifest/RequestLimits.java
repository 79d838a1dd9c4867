package io.modelpool.worker.manifest;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Per-request input bounds, checked before any tokenising or decoding.
 *
 * @param maxInputsPerRequest most inputs (texts) one request may carry; more is INPUT_TOO_LARGE
 * @param maxInputBytes       most UTF-8 bytes one text may have; more is INPUT_TOO_LARGE
 */
public record RequestLimits(
        @JsonProperty("max-inputs-per-request") Integer maxInputsPerRequest,
        @JsonProperty("max-input-bytes") Integer maxInputBytes) {

    public static final int DEFAULT_MAX_INPUTS_PER_REQUEST = 256;
    public static final int DEFAULT_MAX_INPUT_BYTES = 64 * 1024;

    public RequestLimits {
        maxInputsPerRequest = maxInputsPerRequest == null ? DEFAULT_MAX_INPUTS_PER_REQUEST : maxInputsPerRequest;
        maxInputBytes = maxInputBytes == null ? DEFAULT_MAX_INPUT_BYTES : maxInputBytes;
    }

    public static RequestLimits defaults() {
        return new RequestLimits(null, null);
    }
}
