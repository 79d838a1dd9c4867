package io.modelpool.worker.kafka;

/**
 * A hysteresis gate over the amount of unfinished work: it says "pause" when work reaches the high-water mark and
 * "resume" only once it has fallen to the low-water mark, so intake does not flap around a single threshold.
 *
 * <p>Not thread-safe: owned by the intake thread.
 */
final class Backpressure {

    /** What the intake should do after an observation. */
    public enum Action {
        NONE,
        PAUSE,
        RESUME
    }

    private final int highWater;
    private final int lowWater;
    private boolean paused;

    public Backpressure(int highWater, int lowWater) {
        if (lowWater < 0 || lowWater >= highWater) {
            throw new IllegalArgumentException("need 0 <= lowWater < highWater, got " + lowWater + " and " + highWater);
        }
        this.highWater = highWater;
        this.lowWater = lowWater;
    }

    /** Observes the current amount of unfinished work and says whether to change state. */
    public Action observe(int unfinished) {
        if (!paused && unfinished >= highWater) {
            paused = true;
            return Action.PAUSE;
        }
        if (paused && unfinished <= lowWater) {
            paused = false;
            return Action.RESUME;
        }
        return Action.NONE;
    }

    public boolean paused() {
        return paused;
    }
}
