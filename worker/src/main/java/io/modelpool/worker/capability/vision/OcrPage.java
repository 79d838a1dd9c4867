package io.modelpool.worker.capability.vision;

import io.modelpool.worker.capability.image.ImageCheck;

/**
 * One image to read, the pool task of the vision capability: still encoded (its header already checked
 * against the limits), so decoding runs on a pool worker rather than on the intake thread.
 *
 * @param image           the checked image
 * @param deadlineEpochMs the request's deadline, or {@link Long#MAX_VALUE} for none
 */
public record OcrPage(ImageCheck.Accepted image, long deadlineEpochMs) {}
