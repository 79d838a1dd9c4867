package io.modelpool.worker.pool;

import java.time.Duration;
import java.util.Objects;

/**
 * How a model's queue orders tasks of different priority classes; see {@link AgingQueue}.
 *
 * @param classes  how many classes there are; class 0 is served first, then 1, and so on
 * @param aging    a task that has waited this long is served as if it were of class 0, oldest first
 * @param minShare while a later class has tasks waiting, it gets at least this fraction of the tasks taken, however
 *                 busy the earlier classes keep the queue (0 to 1; 0 leaves only aging against starvation)
 */
record PriorityPolicy(int classes, Duration aging, double minShare) {

    /** Two classes (interactive, bulk); bulk ages after 2 s and keeps at least 10 % of the tasks taken. */
    public static final PriorityPolicy DEFAULT = new PriorityPolicy(2, Duration.ofSeconds(2), 0.1);

    public PriorityPolicy {
        Objects.requireNonNull(aging, "aging");
        if (classes < 1) {
            throw new IllegalArgumentException("classes = " + classes + " is invalid; allowed: >= 1");
        }
        if (aging.isNegative() || aging.isZero()) {
            throw new IllegalArgumentException("aging = " + aging + " is invalid; allowed: > 0");
        }
        if (!(minShare >= 0 && minShare <= 1)) {
            throw new IllegalArgumentException("minShare = " + minShare + " is invalid; allowed: 0 to 1");
        }
    }
}
