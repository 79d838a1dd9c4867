package io.modelpool.worker.kafka;

import java.util.function.LongSupplier;

/**
 * A rate limit by the generic cell rate algorithm (GCRA, the "virtual scheduling" form of ITU-T I.371, the
 * algorithm behind token buckets in traffic shaping): each call is due one emission interval ({@code 1 / rate})
 * after the previous due time, and may go early by up to {@code burst - 1} intervals. Instead of refusing,
 * {@link #reserve()} says how long the caller must wait, so permits are handed out in order, at most {@code burst} at
 * once after a quiet spell and {@code rate} per second on average. The whole state is one number, the theoretical
 * arrival time of the next call.
 *
 * <p>Thread-safe.
 */
final class RateLimit {

    private final long intervalNanos;
    private final long toleranceNanos;
    private final LongSupplier nanoClock;
    /** When the next call is due at the steady rate ({@link System#nanoTime()} scale). */
    private long theoreticalArrival;

    private boolean started;

    /**
     * @param perSecond permits per second on average, above 0
     * @param burst permits that may be taken at once after a quiet spell, at least 1
     * @param nanoClock a monotonic clock in nanoseconds ({@link System#nanoTime()} outside tests)
     */
    RateLimit(double perSecond, int burst, LongSupplier nanoClock) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException(
                    "rate must be a positive number of permits per second, got " + perSecond);
        }
        if (burst < 1) {
            throw new IllegalArgumentException("burst must be at least 1, got " + burst);
        }
        this.intervalNanos = Math.max(1, Math.round(1e9 / perSecond));
        this.toleranceNanos = intervalNanos * (burst - 1);
        this.nanoClock = nanoClock;
    }

    /** Takes the next permit; returns how many nanoseconds to wait before using it (0: at once). */
    synchronized long reserve() {
        long now = nanoClock.getAsLong();
        if (!started || theoreticalArrival - now < 0) {
            theoreticalArrival = now;
            started = true;
        }
        long wait = Math.max(0, theoreticalArrival - toleranceNanos - now);
        theoreticalArrival += intervalNanos;
        return wait;
    }
}
