package io.modelpool.worker.pool;

/**
 * A recent mean of a stream of values: the plain mean of the first {@value #SEED} values, then an exponentially
 * weighted moving average with weight {@value #ALPHA}, so it settles fast and then follows a drifting stream. Values
 * that are not finite (an estimate made before a rate was known) are skipped. Thread-safe.
 */
final class RecentMean {

    static final int SEED = 16;
    static final double ALPHA = 0.05;

    private long count;
    private volatile double mean = Double.NaN;

    synchronized void observe(double value) {
        if (!Double.isFinite(value)) {
            return;
        }
        count++;
        double weight = count <= SEED ? 1.0 / count : ALPHA;
        double current = mean;
        mean = Double.isNaN(current) ? value : current + weight * (value - current);
    }

    /** The recent mean; NaN before the first finite value. */
    double mean() {
        return mean;
    }
}
