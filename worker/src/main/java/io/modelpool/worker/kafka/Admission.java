package io.modelpool.worker.kafka;

/**
 * Whether the intake may dispatch one more record now, and whether its partitions should be paused: the one place
 * that decides how much work is in flight.
 *
 * <p>Today the bound is a count of unfinished records (dispatched, not yet done): dispatching stops at the
 * high-water mark, which therefore bounds memory and what a drain has to finish; partitions pause there and resume
 * at the low-water mark ({@link Backpressure}), polling all the while. When several partitions are assigned, one
 * may hold at most half of the bound: a slow record at a partition's head (exactly once holds the later outcomes
 * of its partition behind it) then pauses that partition alone, not every partition. The loop only asks
 * {@link #admits} and {@link #partitionFull}, and tells {@link #observe}, so a bound counted in seconds of work can
 * replace the count without touching the loop.
 *
 * <p>Not thread-safe: the intake thread's.
 */
final class Admission {

    private final int highWater;
    private final int perPartition;
    private final Backpressure backpressure;

    Admission(int highWater, int lowWater) {
        this.highWater = highWater;
        this.perPartition = Math.max(1, highWater / 2);
        this.backpressure = new Backpressure(highWater, lowWater);
    }

    /** Whether one more record may be dispatched while {@code unfinished} are. */
    boolean admits(int unfinished) {
        return unfinished < highWater;
    }

    /**
     * Whether a partition holding {@code outstanding} unfinished records must wait (and be paused alone), while
     * {@code assigned} partitions share the bound. A lone partition has all of it.
     */
    boolean partitionFull(int outstanding, int assigned) {
        return assigned > 1 && outstanding >= perPartition;
    }

    /** Observes the unfinished work after a turn; says whether to start or stop pausing. */
    Backpressure.Action observe(int unfinished) {
        return backpressure.observe(unfinished);
    }

    /** Whether partitions should stay paused for backpressure. */
    boolean paused() {
        return backpressure.paused();
    }
}
