package io.modelpool.cli.output;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * The rate of a count over the last few seconds, for a progress display's speed and ETA.
 *
 * <p>Why not the mean since the start: a job's first seconds are spent connecting and loading the model, with
 * nothing done, so the mean rate starts far too low and the ETA far too long (2:56 for a 25 s job), and it lags
 * any later change of pace. This keeps samples of (time, count) over a sliding {@code window} and divides the
 * count's growth by the time it took. Samples from before the first unit of work are dropped, except the last one,
 * so the idle start-up never counts; until {@code minimumSpan} of progress has been seen the rate is unknown.
 *
 * <p>Not thread-safe: one display thread samples and reads it.
 */
public final class MovingRate {

    private record Sample(long nanos, long count) {}

    private final long windowNanos;
    private final long minimumSpanNanos;
    private final Deque<Sample> samples = new ArrayDeque<>();

    public MovingRate(Duration window, Duration minimumSpan) {
        if (window.isNegative() || window.isZero() || minimumSpan.isNegative() || minimumSpan.compareTo(window) > 0) {
            throw new IllegalArgumentException(
                    "need 0 <= minimumSpan <= window, window > 0; was " + minimumSpan + " and " + window);
        }
        this.windowNanos = window.toNanos();
        this.minimumSpanNanos = minimumSpan.toNanos();
    }

    /** A ten-second window that answers after half a second of progress. */
    public static MovingRate standard() {
        return new MovingRate(Duration.ofSeconds(10), Duration.ofMillis(500));
    }

    /** Records that {@code count} units were done at {@code nanos} (a {@link System#nanoTime()} reading). */
    public void sample(long nanos, long count) {
        Sample last = samples.peekLast();
        if (last != null && nanos < last.nanos()) {
            return;
        }
        if (last != null
                && last.count() == count
                && count == samples.peekFirst().count()) {
            // nothing has happened yet, or nothing since the only sample: keep just the latest idle moment
            samples.clear();
        }
        samples.addLast(new Sample(nanos, count));
        // keep one sample at or before the window's start, so the window is always spanned in full
        while (samples.size() > 2) {
            var it = samples.iterator();
            it.next();
            if (nanos - it.next().nanos() >= windowNanos) {
                samples.removeFirst();
            } else {
                break;
            }
        }
    }

    /** Units per second over the window, or empty while too little progress has been seen. */
    public OptionalDouble perSecond() {
        if (samples.size() < 2) {
            return OptionalDouble.empty();
        }
        Sample first = samples.peekFirst();
        Sample last = samples.peekLast();
        long span = last.nanos() - first.nanos();
        long done = last.count() - first.count();
        if (span <= 0 || span < minimumSpanNanos) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.max(0, done) * 1e9 / span);
    }

    /** The time left to reach {@code total} at the current rate; empty while the rate is unknown or zero. */
    public Optional<Duration> remaining(long current, long total) {
        OptionalDouble rate = perSecond();
        if (rate.isEmpty() || rate.getAsDouble() <= 0) {
            return Optional.empty();
        }
        double seconds = Math.max(0, total - current) / rate.getAsDouble();
        return Optional.of(Duration.ofMillis(Math.round(seconds * 1000)));
    }
}
