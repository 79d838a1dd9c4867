package io.modelpool.worker.pool;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * One model's bounded task queue, ordered by the tasks' priority classes with aging and a minimum share
 * ({@link AgingQueue}, {@link PriorityPolicy}). Admission is all-or-nothing per submission, so a request's tasks are
 * either all queued or none. Once told to refuse new work (shutdown), every later offer fails with that error, so
 * a task can never be queued behind a model that will not run it.
 */
final class ModelQueue<I, O> {

    private final String model;
    private final int capacity;
    private final AgingQueue<PoolTask<I, O>> tasks;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition notEmpty = lock.newCondition();
    private PoolError closedWith;
    private boolean stopped;

    ModelQueue(String model, int capacity) {
        this(model, capacity, PriorityPolicy.DEFAULT);
    }

    ModelQueue(String model, int capacity, PriorityPolicy priorities) {
        this.model = model;
        this.capacity = capacity;
        this.tasks = new AgingQueue<>(priorities, t -> t.priority, t -> t.submittedNanos);
    }

    /** Queues all of {@code batch} or none of it. */
    void offerAll(List<PoolTask<I, O>> batch) throws PoolRejectedException {
        lock.lock();
        try {
            if (closedWith != null) {
                throw new PoolRejectedException(closedWith);
            }
            if (tasks.size() + batch.size() > capacity) {
                throw new PoolRejectedException(new PoolError.Overloaded(model, tasks.size(), capacity, batch.size()));
            }
            for (PoolTask<I, O> task : batch) {
                tasks.add(task);
            }
            notEmpty.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Blocks until at least one task is queued, the queue stops or {@code retired} turns true; then, when fewer than
     * {@code maxItems} are queued, waits up to {@code maxDelayNanos} after the oldest task's submission for more; then
     * takes up to {@code window} tasks, but no more than a fair share among {@code workers} when more than a batch is
     * queued. Returns an empty list once the queue has stopped and is empty, or once {@code retired} is true (checked
     * before taking anything, so a retired worker never takes a task; wake it with {@link #wakeAll()}).
     */
    List<PoolTask<I, O>> takeWindow(int maxItems, int window, long maxDelayNanos, int workers, BooleanSupplier retired)
            throws InterruptedException {
        lock.lockInterruptibly();
        try {
            while (true) {
                if (retired.getAsBoolean()) {
                    if (!tasks.isEmpty()) {
                        notEmpty.signal(); // pass on the wake-up this worker may have consumed
                    }
                    return List.of();
                }
                if (!tasks.isEmpty()) {
                    break;
                }
                if (stopped) {
                    return List.of();
                }
                notEmpty.await();
            }
            if (maxDelayNanos > 0) {
                long deadline = tasks.oldest().submittedNanos + maxDelayNanos;
                long left;
                while (!stopped
                        && !tasks.isEmpty()
                        && tasks.size() < maxItems
                        && (left = deadline - System.nanoTime()) > 0) {
                    notEmpty.awaitNanos(left);
                }
                if (tasks.isEmpty()) {
                    return stopped ? List.of() : takeWindow(maxItems, window, maxDelayNanos, workers, retired);
                }
            }
            int sharers = Math.max(1, workers);
            int fairShare = Math.max(maxItems, (tasks.size() + sharers - 1) / sharers);
            int n = Math.min(tasks.size(), Math.min(window, fairShare));
            List<PoolTask<I, O>> taken = new ArrayList<>(n);
            long now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                taken.add(tasks.poll(now));
            }
            if (!tasks.isEmpty()) {
                notEmpty.signal();
            }
            return taken;
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting worker, so that retired ones see their flag. */
    void wakeAll() {
        lock.lock();
        try {
            notEmpty.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The {@link System#nanoTime()} at which the oldest queued task was submitted; {@code now} when none is. */
    long oldestSubmittedNanos(long now) {
        lock.lock();
        try {
            PoolTask<I, O> first = tasks.oldest();
            return first == null ? now : first.submittedNanos;
        } finally {
            lock.unlock();
        }
    }

    /** Refuses later offers with {@code error} but keeps queued tasks for the workers to drain. */
    void refuseNew(PoolError error) {
        lock.lock();
        try {
            if (closedWith == null) {
                closedWith = error;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Wakes every waiting worker; {@link #takeWindow} returns empty once nothing is left. */
    List<PoolTask<I, O>> stop() {
        lock.lock();
        try {
            stopped = true;
            notEmpty.signalAll();
            return drainLocked();
        } finally {
            lock.unlock();
        }
    }

    List<PoolTask<I, O>> drain() {
        lock.lock();
        try {
            return drainLocked();
        } finally {
            lock.unlock();
        }
    }

    int size() {
        lock.lock();
        try {
            return tasks.size();
        } finally {
            lock.unlock();
        }
    }

    /** Tasks of priority class {@code c} waiting. */
    int size(int c) {
        lock.lock();
        try {
            return tasks.size(c);
        } finally {
            lock.unlock();
        }
    }

    private List<PoolTask<I, O>> drainLocked() {
        return tasks.drain();
    }
}
