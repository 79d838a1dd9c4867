package io.modelpool.worker.capability.texttoimage;

/**
 * The training noise schedule a denoiser was trained with: {@code trainTimesteps} betas from
 * {@code betaStart} to {@code betaEnd}, either linear or "scaled linear" (linear in the square root, Stable
 * Diffusion's choice), and their cumulative products {@code alphas_cumprod[t] = prod(1 - beta_i, i <= t)}.
 */
record NoiseSchedule(int trainTimesteps, double betaStart, double betaEnd, boolean scaledLinear) {

    double[] alphasCumprod() {
        double[] ac = new double[trainTimesteps];
        double product = 1.0;
        for (int t = 0; t < trainTimesteps; t++) {
            double beta;
            if (scaledLinear) {
                double s =
                        Math.sqrt(betaStart) + (Math.sqrt(betaEnd) - Math.sqrt(betaStart)) * t / (trainTimesteps - 1);
                beta = s * s;
            } else {
                beta = betaStart + (betaEnd - betaStart) * t / (trainTimesteps - 1);
            }
            product *= 1.0 - beta;
            ac[t] = product;
        }
        return ac;
    }
}
