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
    final int index;
    final long submittedNanos;
    private final TaskListener<? super O> listener;
    private final ModelLane<I, O> lane;
    private volatile int done;

    PoolTask(I input, int length, int index, long submittedNanos, TaskListener<? super O> listener,
             ModelLane<I, O> lane) {
        this.input = input;
        this.length = length;
        this.index = index;
        this.submittedNanos = submittedNanos;
        this.listener = listener;
        this.lane = lane;
    }

    boolean isDone() {
        return done != 0;
    }

    boolean complete(O output, TaskTiming timing) {
        if (!DONE.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            listener.completed(index, output, timing);
        } catch (RuntimeException e) {
            LOG.warn("Task listener threw on completion of a task of model '{}'", lane.key(), e);
        } finally {
            lane.taskFinished();
        }
        return true;
    }

    boolean fail(Throwable cause, TaskTiming timing) {
        if (!DONE.compareAndSet(this, 0, 1)) {
            return false;
        }
        try {
            listener.failed(index, cause, timing);
        } catch (RuntimeException e) {
            LOG.warn("Task listener threw on failure of a task of model '{}'", lane.key(), e);
        } finally {
            lane.taskFinished();
        }
        return true;
    }

    boolean failNow(PoolError error) {
        long now = System.nanoTime();
        return fail(new PoolRejectedException(error), new TaskTiming(submittedNanos, now, now, 0));
    }
}
