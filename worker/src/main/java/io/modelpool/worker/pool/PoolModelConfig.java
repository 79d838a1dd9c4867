package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How the pool queues and batches one model's tasks.
 *
 * @param workers        worker threads, each with its own runner
 * @param queueCapacity  tasks that may wait in the model's queue; beyond it submissions fail with
 *                       {@link PoolError.Overloaded}
 * @param maxBatchItems  a batch closes when it holds this many tasks (1: every task runs alone)
 * @param maxBatchTokens a batch closes before its padded cost (tasks times the longest task's length) would
 *                       pass this budget; a single longer task still runs, alone
 * @param maxDelay       how long a worker waits, from the oldest queued task's submission, for a batch to
 *                       fill before running what it has; zero runs at once
 * @param sortWindow     at most this many queued tasks are taken together and sorted by length before being
 *                       cut into batches, so batches hold tasks of similar length
 */
public record PoolModelConfig(
        int workers, int queueCapacity, int maxBatchItems, int maxBatchTokens, Duration maxDelay, int sortWindow) {

    public PoolModelConfig {
        Objects.requireNonNull(maxDelay, "maxDelay");
        require(workers >= 1, "workers", workers, ">= 1");
        require(queueCapacity >= 1, "queueCapacity", queueCapacity, ">= 1");
        require(maxBatchItems >= 1, "maxBatchItems", maxBatchItems, ">= 1");
        require(maxBatchTokens >= 1, "maxBatchTokens", maxBatchTokens, ">= 1");
        require(!maxDelay.isNegative(), "maxDelay", maxDelay, ">= 0");
        require(sortWindow >= maxBatchItems, "sortWindow", sortWindow, ">= maxBatchItems (" + maxBatchItems + ")");
    }

    /**
     * A builder with every setting by name: one worker, a queue of 1,000, batches of one task, no token budget, no
     * delay, no sorting window beyond the batch.
     */
    public static Builder builder() {
        return new Builder();
    }

    /** One task per run on {@code workers} parallel runners: results never depend on batch neighbours. */
    public static PoolModelConfig oneAtATime(int workers, int queueCapacity) {
        return new PoolModelConfig(workers, queueCapacity, 1, Integer.MAX_VALUE, Duration.ZERO, 1);
    }

    private static void require(boolean ok, String name, Object value, String allowed) {
        if (!ok) {
            throw new IllegalArgumentException(name + " = " + value + " is invalid; allowed: " + allowed);
        }
    }

    /** Sets each setting by name; {@link #build()} checks them. Not thread-safe. */
    public static final class Builder {
        private int workers = 1;
        private int queueCapacity = 1_000;
        private int maxBatchItems = 1;
        private int maxBatchTokens = Integer.MAX_VALUE;
        private Duration maxDelay = Duration.ZERO;
        private int sortWindow;

        private Builder() {}

        public Builder workers(int workers) {
            this.workers = workers;
            return this;
        }

        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        public Builder maxBatchItems(int maxBatchItems) {
            this.maxBatchItems = maxBatchItems;
            return this;
        }

        public Builder maxBatchTokens(int maxBatchTokens) {
            this.maxBatchTokens = maxBatchTokens;
            return this;
        }

        public Builder maxDelay(Duration maxDelay) {
            this.maxDelay = maxDelay;
            return this;
        }

        /** Unset (0): the batch size. */
        public Builder sortWindow(int sortWindow) {
            this.sortWindow = sortWindow;
            return this;
        }

        public PoolModelConfig build() {
            return new PoolModelConfig(
                    workers,
                    queueCapacity,
                    maxBatchItems,
                    maxBatchTokens,
                    maxDelay,
                    sortWindow == 0 ? maxBatchItems : sortWindow);
        }
    }
}
