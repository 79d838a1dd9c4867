package io.modelpool.worker.pool;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * A FIFO queue per priority class, served lowest class first, with aging and a minimum share so that no class
 * starves: the scheduling rule of the pool's model queues.
 *
 * <p>Each {@link #poll(long)} picks one class, in this order:
 * <ol>
 *   <li><b>Aging.</b> A class whose oldest task has waited at least {@link PriorityPolicy#aging()} is served as if
 *       it were class 0; among several such classes, the one with the oldest task. This is the classic aging of
 *       priority schedulers (Silberschatz, Galvin and Gagne, <i>Operating System Concepts</i>, section 5.3.3): the
 *       wait of a low-priority task is bounded by the aging time plus the work of the tasks that aged before it.
 *   <li><b>Minimum share.</b> Every take that serves an earlier class while a later class has tasks waiting earns
 *       that later class {@link PriorityPolicy#minShare()} of a take; a class that has earned a whole take is served
 *       next. So under any load of earlier classes, a waiting class gets at least that share of the tasks taken, as
 *       in a deficit round robin (Shreedhar and Varghese, SIGCOMM 1995) weighted towards class 0. Credit is not
 *       banked: it resets when the class is served in its own right or runs empty.
 *   <li>Otherwise the lowest class with tasks, oldest task first.
 * </ol>
 * The share counts tasks, not their cost: a model's tasks of one capability have comparable costs, and the batcher
 * bounds each batch by tokens anyway.
 *
 * <p>Not thread-safe: {@link ModelQueue} calls it under its lock.
 *
 * @param <T> the task type
 */
final class AgingQueue<T> {
    /** Ten tenths make a whole take, though 0.1 has no exact binary form. */
    private static final double WHOLE_TAKE = 1 - 1e-9;

    private final PriorityPolicy policy;
    private final ToIntFunction<T> classOf;
    private final ToLongFunction<T> enqueuedNanos;
    private final ArrayDeque<T>[] queues;
    private final double[] credit;
    private int size;

    @SuppressWarnings("unchecked") // an array of a generic type is created raw
    AgingQueue(PriorityPolicy policy, ToIntFunction<T> classOf, ToLongFunction<T> enqueuedNanos) {
        this.policy = policy;
        this.classOf = classOf;
        this.enqueuedNanos = enqueuedNanos;
        this.queues = new ArrayDeque[policy.classes()];
        for (int c = 0; c < queues.length; c++) {
            queues[c] = new ArrayDeque<>();
        }
        this.credit = new double[policy.classes()];
    }

    /** Adds a task at the end of its class. */
    void add(T task) {
        int c = classOf.applyAsInt(task);
        if (c < 0 || c >= queues.length) {
            throw new IllegalArgumentException("priority class " + c + " is out of range 0.." + (queues.length - 1));
        }
        queues[c].addLast(task);
        size++;
    }

    /** Takes the next task by the rule above, or returns {@code null} when empty; {@code now} is {@link System#nanoTime()}. */
    T poll(long now) {
        if (size == 0) {
            return null;
        }
        int chosen = aged(now);
        if (chosen < 0) {
            chosen = owed();
        }
        int top = firstNonEmpty();
        if (chosen < 0) {
            chosen = top;
        }
        if (chosen == top) {
            credit[chosen] = 0;
        } else {
            credit[chosen] = Math.max(0, credit[chosen] - 1);
        }
        for (int c = chosen + 1; c < queues.length; c++) {
            if (!queues[c].isEmpty()) {
                credit[c] += policy.minShare();
            }
        }
        T task = queues[chosen].pollFirst();
        size--;
        for (int c = 0; c < queues.length; c++) {
            if (queues[c].isEmpty()) {
                credit[c] = 0;
            }
        }
        return task;
    }

    /** The class whose oldest task has waited past the aging time longest, or -1. */
    private int aged(long now) {
        long agingNanos = policy.aging().toNanos();
        int oldest = -1;
        long oldestAt = 0;
        for (int c = 1; c < queues.length; c++) {
            T head = queues[c].peekFirst();
            if (head != null) {
                long at = enqueuedNanos.applyAsLong(head);
                if (now - at >= agingNanos && (oldest < 0 || at - oldestAt < 0)) {
                    oldest = c;
                    oldestAt = at;
                }
            }
        }
        if (oldest >= 0 && !queues[0].isEmpty() && enqueuedNanos.applyAsLong(queues[0].peekFirst()) - oldestAt < 0) {
            return 0; // class 0's own head is older still
        }
        return oldest;
    }

    /** The class owed the most whole takes by its minimum share, or -1. */
    private int owed() {
        int owed = -1;
        for (int c = 1; c < queues.length; c++) {
            if (!queues[c].isEmpty() && credit[c] >= WHOLE_TAKE && (owed < 0 || credit[c] > credit[owed])) {
                owed = c;
            }
        }
        return owed;
    }

    private int firstNonEmpty() {
        for (int c = 0; c < queues.length; c++) {
            if (!queues[c].isEmpty()) {
                return c;
            }
        }
        throw new IllegalStateException("size " + size + " but every class is empty");
    }

    /** The task waiting longest, of any class, or {@code null} when empty. */
    T oldest() {
        T oldest = null;
        for (ArrayDeque<T> queue : queues) {
            T head = queue.peekFirst();
            if (head != null
                    && (oldest == null || enqueuedNanos.applyAsLong(head) - enqueuedNanos.applyAsLong(oldest) < 0)) {
                oldest = head;
            }
        }
        return oldest;
    }

    int size() {
        return size;
    }

    /** Tasks waiting in class {@code c}. */
    int size(int c) {
        return c >= 0 && c < queues.length ? queues[c].size() : 0;
    }

    boolean isEmpty() {
        return size == 0;
    }

    /** Removes and returns every task, class 0 first, each class oldest first. */
    List<T> drain() {
        List<T> all = new ArrayList<>(size);
        for (int c = 0; c < queues.length; c++) {
            all.addAll(queues[c]);
            queues[c].clear();
            credit[c] = 0;
        }
        size = 0;
        return all;
    }
}
