package io.modelpool.bench;

/** Checks that two contenders computed the same embeddings, so that a faster one did not do less work. */
final class Similarity {

    private Similarity() {
    }

    /** The smallest cosine similarity between {@code a[i]} and {@code b[i]} over all i. */
    static double minCosine(float[][] a, float[][] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("embedding counts differ: " + a.length + " and " + b.length);
        }
        double min = 1.0;
        for (int i = 0; i < a.length; i++) {
            min = Math.min(min, cosine(a[i], b[i]));
        }
        return min;
    }

    static double cosine(float[] a, float[] b) {
        if (a == null || b == null || a.length != b.length) {
            throw new IllegalArgumentException("an embedding is missing or has another dimension");
        }
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }
}
