package io.modelpool.worker.capability;

/** Vector arithmetic the embedding families share. */
public final class Vectors {

    private Vectors() {}

    /**
     * Scales {@code v} to unit L2 length in place. A vector whose length is at most 1e-12 (zero, or all but zero)
     * is left as it is rather than blown up by the division.
     */
    public static void normalizeL2(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        double norm = Math.sqrt(sum);
        if (norm > 1e-12) {
            float inv = (float) (1.0 / norm);
            for (int i = 0; i < v.length; i++) {
                v[i] *= inv;
            }
        }
    }
}
