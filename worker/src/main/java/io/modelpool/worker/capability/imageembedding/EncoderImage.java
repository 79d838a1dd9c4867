package io.modelpool.worker.capability.imageembedding;

import io.modelpool.worker.capability.image.ImageCheck;

/**
 * One image to embed, the pool task of the image-embedding capability: still encoded (its header already
 * checked against the limits), so decoding and preprocessing run on a pool worker.
 *
 * @param image           the checked image
 * @param deadlineEpochMs the request's deadline, or {@link Long#MAX_VALUE} for none
 */
public record EncoderImage(ImageCheck.Accepted image, long deadlineEpochMs) {}
