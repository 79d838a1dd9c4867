package io.modelpool.worker.capability.texttoimage;

import io.modelpool.v1.Scheduler;

/**
 * Walks latents from noise to an image over a request's number of steps, for a denoiser that predicts the
 * noise (epsilon). The two implementations follow diffusers' {@code DDIMScheduler} and
 * {@code EulerDiscreteScheduler} with their Stable Diffusion settings.
 *
 * <p>Not thread-safe: one per generation.
 */
interface DiffusionScheduler {

    /** The timestep fed to the denoiser at each step, first to last. */
    double[] timesteps();

    /** The initial noise is standard normal noise times this. */
    double initialNoiseScale();

    /** The denoiser's {@code sample} input at step {@code i} for latents {@code x}. */
    double scaleInput(double x, int i);

    /** Latents after step {@code i}, from the latents before it and the (guided) noise prediction. */
    void step(double[] x, double[] eps, int i);

    static DiffusionScheduler of(Scheduler kind, NoiseSchedule schedule, int steps) {
        return kind == Scheduler.EULER ? new Euler(schedule, steps) : new Ddim(schedule, steps);
    }

    /**
     * DDIM (Song, Meng and Ermon, "Denoising Diffusion Implicit Models", 2020) with eta 0: deterministic.
     * Timesteps are spaced "leading" with offset 1 ({@code k * (T / steps) + 1}, descending); each step
     * predicts x0 = (x - sqrt(1 - a_t) eps) / sqrt(a_t) and moves to sqrt(a_prev) x0 + sqrt(1 - a_prev) eps, with
     * a_prev = alphas_cumprod[0] after the last step ({@code set_alpha_to_one = false}).
     */
    final class Ddim implements DiffusionScheduler {

        private final double[] alphasCumprod;
        private final double[] timesteps;
        private final int ratio;

        Ddim(NoiseSchedule schedule, int steps) {
            this.alphasCumprod = schedule.alphasCumprod();
            this.ratio = schedule.trainTimesteps() / steps;
            this.timesteps = new double[steps];
            for (int k = 0; k < steps; k++) {
                timesteps[k] = (double) (steps - 1 - k) * ratio + 1;
            }
        }

        @Override
        public double[] timesteps() {
            return timesteps;
        }

        @Override
        public double initialNoiseScale() {
            return 1.0;
        }

        @Override
        public double scaleInput(double x, int i) {
            return x;
        }

        @Override
        public void step(double[] x, double[] eps, int i) {
            int t = (int) timesteps[i];
            int prev = t - ratio;
            double at = alphasCumprod[t];
            double aPrev = prev >= 0 ? alphasCumprod[prev] : alphasCumprod[0];
            double sqrtAt = Math.sqrt(at);
            double sqrtOneMinusAt = Math.sqrt(1 - at);
            double sqrtAPrev = Math.sqrt(aPrev);
            double sqrtOneMinusAPrev = Math.sqrt(1 - aPrev);
            for (int j = 0; j < x.length; j++) {
                double x0 = (x[j] - sqrtOneMinusAt * eps[j]) / sqrtAt;
                x[j] = sqrtAPrev * x0 + sqrtOneMinusAPrev * eps[j];
            }
        }
    }

    /**
     * Euler's method on the probability-flow ODE in sigma space (Karras et al., "Elucidating the Design Space
     * of Diffusion-Based Generative Models", 2022), as diffusers' EulerDiscreteScheduler without churn:
     * timesteps evenly spaced from T - 1 to 0 ("linspace"), sigma(t) = sqrt((1 - a_t) / a_t) interpolated
     * linearly between integer timesteps, then 0; noise scaled by sigma_max; the denoiser sees
     * x / sqrt(sigma^2 + 1); each step is x += eps * (sigma_next - sigma).
     */
    final class Euler implements DiffusionScheduler {

        private final double[] timesteps;
        private final double[] sigmas;

        Euler(NoiseSchedule schedule, int steps) {
            double[] ac = schedule.alphasCumprod();
            int trainSteps = ac.length;
            timesteps = new double[steps];
            sigmas = new double[steps + 1];
            for (int k = 0; k < steps; k++) {
                // as numpy's linspace(0, T - 1, steps) reversed: index j is j * ((T - 1) / (steps - 1)), the last T - 1
                double t = k == 0 ? trainSteps - 1 : (steps - 1 - k) * ((trainSteps - 1.0) / (steps - 1));
                timesteps[k] = t;
                int lo = (int) Math.floor(t);
                int hi = Math.min(lo + 1, trainSteps - 1);
                double frac = t - lo;
                double sLo = Math.sqrt((1 - ac[lo]) / ac[lo]);
                double sHi = Math.sqrt((1 - ac[hi]) / ac[hi]);
                sigmas[k] = sLo + (sHi - sLo) * frac;
            }
            sigmas[steps] = 0.0;
        }

        @Override
        public double[] timesteps() {
            return timesteps;
        }

        @Override
        public double initialNoiseScale() {
            return sigmas[0];
        }

        @Override
        public double scaleInput(double x, int i) {
            return x / Math.sqrt(sigmas[i] * sigmas[i] + 1);
        }

        @Override
        public void step(double[] x, double[] eps, int i) {
            double dt = sigmas[i + 1] - sigmas[i];
            for (int j = 0; j < x.length; j++) {
                x[j] += eps[j] * dt;
            }
        }
    }
}
