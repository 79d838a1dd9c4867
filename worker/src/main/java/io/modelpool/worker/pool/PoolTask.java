package io.modelpool.worker.pool;

import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One queued unit of work; finishes exactly once, whoever gets there first (worker, abandon or close). */
final class PoolTask<I, O> {

    private static final Logger LOG = LoggerFactory.getLogger(PoolTask.class);

    @SuppressWarnings("rawtypes") // a field updater is made for the class, which has no generic form
    private static final AtomicIntegerFieldUpdater<PoolTask> DONE =
            AtomicIntegerFieldUpdater.newUpdater(PoolTask.class, "done");

    final I input;
    final int length;
    final long cost;
    final int index;
    final long submittedNanos;
    /** The priority class, 0 first; see {@link AgingQueue}. */
    final int priority;

    private final TaskListener<? super O> listener;
    private final ModelLane<I, O> lane;
    /** Asked just before the task's batch runs; null when the submitter gave none. */
    private final Withdrawal withdrawal;

    private volatile int done;

    PoolTask(
            I input,
            int length,
            long cost,
            int index,
            long submittedNanos,
            int priority,
            TaskListener<? super O> listener,
            ModelLane<I, O> lane) {
        this(input, length, cost, index, submittedNanos, priority, listener, lane, null);
    }

    PoolTask(
            I input,
            int length,
            long cost,
            int index,
            long submittedNanos,
            int priority,
            TaskListener<? super O> listener,
            ModelLane<I, O> lane,
            Withdrawal withdrawal) {
        this.priority = priority;
        this.withdrawal = withdrawal;
        this.input = input;
        this.length = length;
        this.cost = cost;
        this.index = index;
        this.submittedNanos = submittedNanos;
        this.listener = listener;
        this.lane = lane;
    }

    boolean isDone() {
        return done != 0;
    }

    /**
     * Reports the output to the listener. A listener that throws on it is told {@code failed} with that exception
     * instead, so whoever waits on the task still hears of it, once; see {@link TaskListener}.
     */
    boolean complete(O output, TaskTiming timing) {
        if (!DONE.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            listener.completed(index, output, timing);
        } catch (RuntimeException | Error e) {
            if (tellFailed(e, timing, e)) {
                LOG.warn(
                        "Task listener {} threw on the completion of task {} of model '{}' in pool '{}'; the task"
                                + " was reported failed instead",
                        listener,
                        index,
                        lane.key(),
                        lane.poolName(),
                        e);
            }
        } finally {
            lane.taskFinished(cost);
        }
        return true;
    }

    boolean fail(Throwable cause, TaskTiming timing) {
        if (!DONE.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            tellFailed(cause, timing, null);
        } finally {
            lane.taskFinished(cost);
        }
        return true;
    }

    /**
     * Tells the listener the task failed; returns false, after logging it, when that threw too.
     * {@code completionError} is what the listener's completion threw, when that came first.
     */
    private boolean tellFailed(Throwable cause, TaskTiming timing, Throwable completionError) {
        try {
            listener.failed(index, cause, timing);
            return true;
        } catch (RuntimeException | Error e) {
            if (completionError != null && completionError != e) {
                e.addSuppressed(completionError);
            }
            LOG.error(
                    "Task listener {} threw when told task {} of model '{}' in pool '{}' {}; its waiter cannot be"
                            + " told of this task",
                    listener,
                    index,
                    lane.key(),
                    lane.poolName(),
                    completionError == null ? "failed" : "completed, and again when told it failed",
                    e);
            return false;
        }
    }

    /**
     * Fails the task with {@link PoolError.Withdrawn} when its submitter has withdrawn it; called just before its
     * batch runs. Returns whether it did.
     */
    boolean failIfWithdrawn() {
        if (withdrawal == null || isDone()) {
            return false;
        }
        Withdrawal.Reason reason;
        try {
            reason = withdrawal.reason();
        } catch (RuntimeException e) {
            LOG.warn(
                    "Withdrawal check of task {} of model '{}' in pool '{}' failed; the task runs",
                    index,
                    lane.key(),
                    lane.poolName(),
                    e);
            return false;
        }
        return reason != null && failNow(new PoolError.Withdrawn(lane.key(), reason));
    }

    boolean failNow(PoolError error) {
        long now = System.nanoTime();
        return fail(new PoolRejectedException(error), new TaskTiming(submittedNanos, now, now, 0));
    }
}
