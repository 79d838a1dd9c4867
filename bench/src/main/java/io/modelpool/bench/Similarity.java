package io.modelpool.bench;

import java.util.Locale;

/** Checks that two contenders computed the same embeddings, so that a faster one did not do less work. */
final class Similarity {

    /**
     * How closely one contender's embeddings match the reference's, sentence by sentence.
     *
     * @param least        the smallest cosine similarity
     * @param mean         the mean cosine similarity
     * @param shareAbove99 the share of sentences whose cosine similarity is at least 0.99
     */
    record Agreement(double least, double mean, double shareAbove99) {

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "least %.6f, mean %.6f, %.1f%% >= 0.99", least, mean, 100 * shareAbove99);
        }
    }

    private Similarity() {}

    static Agreement compare(float[][] reference, float[][] other) {
        if (reference.length != other.length) {
            throw new IllegalArgumentException("embedding counts differ: " + reference.length + " and " + other.length);
        }
        double least = 1.0;
        double sum = 0;
        int above = 0;
        for (int i = 0; i < reference.length; i++) {
            double cosine = cosine(reference[i], other[i]);
            least = Math.min(least, cosine);
            sum += cosine;
            if (cosine >= 0.99) {
                above++;
            }
        }
        return new Agreement(least, sum / reference.length, (double) above / reference.length);
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
