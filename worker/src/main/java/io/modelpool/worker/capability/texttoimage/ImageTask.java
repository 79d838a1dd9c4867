package io.modelpool.worker.capability.texttoimage;

import io.modelpool.v1.Scheduler;

/**
 * One image to draw, the pool task of the text-to-image capability.
 *
 * @param promptIds       the prompt's ids, padded to the text encoder's length
 * @param negativeIds     the negative prompt's ids (the empty prompt's when none), for guidance
 * @param steps           denoising steps, within the model's maximum
 * @param guidanceScale   classifier-free guidance scale; 1 runs the conditional branch only
 * @param scheduler       DDIM or EULER
 * @param seed            the initial noise's seed
 * @param width           pixels, a multiple of the VAE scale factor
 * @param height          pixels, a multiple of the VAE scale factor
 * @param deadlineEpochMs the request's deadline, or {@link Long#MAX_VALUE} for none
 */
public record ImageTask(
        long[] promptIds,
        long[] negativeIds,
        int steps,
        float guidanceScale,
        Scheduler scheduler,
        long seed,
        int width,
        int height,
        long deadlineEpochMs) {

    /** The task's length for the pool: its denoising steps. */
    public int cost() {
        return steps;
    }

    /**
     * The task's cost for the pool's learned rate: denoising steps times the image's area (the latent area times the
     * model's fixed VAE scale factor squared, so proportional to it within one model), twice that with guidance,
     * which runs the denoiser on two branches.
     */
    public long work() {
        return (long) steps * width * height * (guidanceScale != 1f ? 2 : 1);
    }
}
