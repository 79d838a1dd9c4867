package io.modelpool.worker.capability.imageembedding;

import io.modelpool.v1.ErrorCode;

/** What the image-encoder runner produced for one image. */
public sealed interface ImageEmbeddingOutcome {

    /** The pooled (and, where the manifest says so, normalised) vector. */
    record Vector(float[] values) implements ImageEmbeddingOutcome {}

    /** The image could not be decoded (CORRUPT_IMAGE); no inference was spent on it. */
    record Refused(ErrorCode code, String message) implements ImageEmbeddingOutcome {}

    /** The request's deadline had passed when the batch started. */
    record Expired(long deadlineEpochMs) implements ImageEmbeddingOutcome {}
}
