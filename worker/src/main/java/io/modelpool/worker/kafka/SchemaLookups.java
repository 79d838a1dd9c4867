package io.modelpool.worker.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Schema-registry lookups by id, run on a few threads of their own at a bounded rate, so that the intake thread never
 * waits on the registry for a schema it has not seen and a flood of distinct ids cannot turn into a flood of registry
 * calls. One lookup per id runs at a time: every record that needs the same id shares it.
 *
 * <p>Bounds: at most {@code threads} calls at once and {@code perSecond} on average ({@link RateLimit}, a burst of one
 * second's worth after a quiet spell). Lookups wait their turn in a queue; the intake only asks for ids of records it
 * holds, so the queue is bounded by the intake's own bound on parked records.
 *
 * <p>Good work first. While {@code busy} says the pools have work, lookups start at {@code perSecondWhileBusy}
 * instead: a flood of records with ids nobody registered (each needs a lookup, an HTTP exchange on both sides, and a
 * dead letter) then leaves the CPU to the requests being computed, and takes it back the moment they are done. The
 * rate is chosen when a lookup starts, once a thread is free, not when its record was polled: a flood is polled in a
 * burst, long before the work polled with it is done. A record with a new, registered schema waits at most a busy
 * interval longer.
 *
 * <p>Thread-safe. {@link #close()} stops the threads; lookups not yet run then fail.
 */
final class SchemaLookups implements AutoCloseable {

    private final IntConsumer lookup;
    private final RateLimit rate;
    private final RateLimit busyRate;
    private final BooleanSupplier busy;
    /** Threads free to start a lookup: the scheduler takes one before it starts the next lookup. */
    private final Semaphore free;

    private final ThreadPoolExecutor threads;
    private final Thread scheduler;
    private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final ConcurrentHashMap<Integer, CompletableFuture<Void>> running = new ConcurrentHashMap<>();
    private volatile boolean closed;

    private record Pending(int id, CompletableFuture<Void> future) {}

    /** Lookups at {@code perSecond} whatever the pools are doing. */
    SchemaLookups(IntConsumer lookup, double perSecond, int threadCount) {
        this(lookup, perSecond, perSecond, () -> false, threadCount);
    }

    /**
     * @param lookup asks the registry for one id and caches the answer (the registry client's {@code schemaById});
     *               whatever it throws completes the lookup's future exceptionally
     * @param perSecond lookups per second on average while the pools have no work
     * @param perSecondWhileBusy lookups per second on average while {@code busy} says they have
     * @param busy whether the pools have work (called on the scheduling thread)
     */
    SchemaLookups(
            IntConsumer lookup, double perSecond, double perSecondWhileBusy, BooleanSupplier busy, int threadCount) {
        if (threadCount < 1) {
            throw new IllegalArgumentException("schema lookups need at least 1 thread, got " + threadCount);
        }
        this.lookup = lookup;
        this.rate = new RateLimit(perSecond, (int) Math.max(1, Math.ceil(perSecond)), System::nanoTime);
        this.busyRate = new RateLimit(perSecondWhileBusy, 1, System::nanoTime);
        this.busy = busy;
        this.free = new Semaphore(threadCount);
        AtomicInteger n = new AtomicInteger();
        // Its queue holds at most a lookup handed over while a thread that just released its permit is on its way back.
        this.threads = new ThreadPoolExecutor(
                threadCount, threadCount, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "schema-lookup-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.threads.allowCoreThreadTimeOut(true);
        this.scheduler = new Thread(this::schedule, "schema-lookup-scheduler");
        this.scheduler.setDaemon(true);
        this.scheduler.start();
    }

    /**
     * Looks {@code id} up unless a lookup of it is already queued or running, and returns that lookup: it completes
     * normally once {@code lookup} returned, exceptionally with what it threw.
     */
    CompletableFuture<Void> fetch(int id) {
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> existing = running.putIfAbsent(id, mine);
        if (existing != null) {
            return existing;
        }
        queue.add(new Pending(id, mine));
        if (closed) {
            failQueued();
        }
        return mine;
    }

    /** The scheduling thread: starts the queued lookups in order, each once a thread is free and the rate allows. */
    private void schedule() {
        Pending next = null;
        try {
            while (!closed) {
                next = queue.take();
                free.acquire();
                long waitNanos = (busy.getAsBoolean() ? busyRate : rate).reserve();
                if (waitNanos > 0) {
                    TimeUnit.NANOSECONDS.sleep(waitNanos);
                }
                submit(next);
                next = null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (next != null) {
                fail(next);
            }
            failQueued();
        }
    }

    private void submit(Pending p) {
        try {
            threads.execute(() -> run(p));
        } catch (RejectedExecutionException e) {
            free.release();
            running.remove(p.id(), p.future());
            p.future().completeExceptionally(e);
        }
    }

    private void run(Pending p) {
        try {
            lookup.accept(p.id());
            running.remove(p.id(), p.future());
            p.future().complete(null);
        } catch (RuntimeException e) {
            running.remove(p.id(), p.future());
            p.future().completeExceptionally(e);
        } finally {
            free.release();
        }
    }

    private void failQueued() {
        for (Pending p = queue.poll(); p != null; p = queue.poll()) {
            fail(p);
        }
    }

    private void fail(Pending p) {
        running.remove(p.id(), p.future());
        p.future().completeExceptionally(new RejectedExecutionException("schema lookups are closed"));
    }

    /** Lookups queued or running. */
    int pending() {
        return running.size();
    }

    @Override
    public void close() {
        closed = true;
        scheduler.interrupt();
        threads.shutdownNow();
        failQueued();
    }
}
