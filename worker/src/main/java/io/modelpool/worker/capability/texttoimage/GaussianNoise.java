package io.modelpool.worker.capability.texttoimage;

import java.util.SplittableRandom;

/**
 * Standard normal noise that any language can reproduce from a seed: {@link SplittableRandom}{@code (seed)}
 * (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014: a 64-bit counter
 * stepped by the golden gamma {@code 0x9e3779b97f4a7c15} and the {@code mix64} finaliser) gives uniform
 * doubles {@code u1, u2}, and the Box-Muller transform turns each pair into two normals,
 * {@code sqrt(-2 ln(1 - u1)) * cos(2 pi u2)} and {@code ... * sin(2 pi u2)}. tools/toy_latent_diffusion.py
 * implements the same sequence in Python.
 */
final class GaussianNoise {

    private GaussianNoise() {}

    /** {@code n} normals for {@code seed}. */
    static double[] sample(long seed, int n) {
        SplittableRandom random = new SplittableRandom(seed);
        double[] out = new double[n];
        for (int i = 0; i < n; i += 2) {
            double u1 = random.nextDouble();
            double u2 = random.nextDouble();
            double radius = Math.sqrt(-2.0 * Math.log(1.0 - u1));
            out[i] = radius * Math.cos(2 * Math.PI * u2);
            if (i + 1 < n) {
                out[i + 1] = radius * Math.sin(2 * Math.PI * u2);
            }
        }
        return out;
    }
}
