package io.modelpool.worker.capability.texttoimage;

/** What the runner produced for one image task. */
public sealed interface ImageOutcome {

    /** The PNG-encoded image. */
    record Png(byte[] bytes, int width, int height, long seed) implements ImageOutcome {}

    /** The request's deadline passed before or during denoising; there is no partial image. */
    record Expired(long deadlineEpochMs) implements ImageOutcome {}

    /** The worker's shutdown grace ran out during denoising; another worker may redo it. */
    record ShutDown(int stepsDone) implements ImageOutcome {}
}
