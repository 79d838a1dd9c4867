package io.modelpool.worker.pool;

/**
 * One model's learned speed: seconds of one worker's time per unit of task cost (the capability's units: tokens,
 * pixels, steps times area), from the batches its workers completed.
 *
 * <p>Each completed batch gives one sample, its run time divided by the sum of its tasks' costs. The first
 * {@value #SEED_BATCHES} samples are averaged (each weighs the same, so no single first batch, slowed by a cold
 * start, sets the rate alone); after them it is an exponentially weighted moving average with weight
 * {@value #ALPHA} per batch, so the rate follows a model whose speed changes (a machine that gets busier, a mix of
 * inputs that shifts) within a few dozen batches. Batches that failed teach nothing: a runner that throws may do so
 * long before the work is done.
 *
 * <p>Until the first sample the rate is unknown ({@link Double#NaN}); the pool then estimates work as unbounded, so
 * that whoever admits by work admits one task at a time until the model has shown its speed.
 *
 * <p>Thread-safe: samples come from the model's worker threads, reads from anywhere.
 */
final class CostRate {

    static final int SEED_BATCHES = 8;
    static final double ALPHA = 0.1;

    private long samples;
    private volatile double secondsPerUnit = Double.NaN;

    /** Learns from one completed batch that ran {@code runNanos} for tasks costing {@code cost} in all. */
    synchronized void observe(long runNanos, long cost) {
        if (cost <= 0 || runNanos < 0) {
            return;
        }
        double sample = runNanos / 1e9 / cost;
        samples++;
        double weight = samples <= SEED_BATCHES ? 1.0 / samples : ALPHA;
        double current = secondsPerUnit;
        secondsPerUnit = Double.isNaN(current) ? sample : current + weight * (sample - current);
    }

    /** Seconds of one worker per cost unit; {@link Double#NaN} until a batch completed. */
    double secondsPerUnit() {
        return secondsPerUnit;
    }

    /** Batches learned from. */
    synchronized long samples() {
        return samples;
    }
}
