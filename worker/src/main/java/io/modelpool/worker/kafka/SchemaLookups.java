package io.modelpool.worker.kafka;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Schema-registry lookups by id, run on a few threads of their own at a bounded rate, so that the intake thread never
 * waits on the registry for a schema it has not seen and a flood of distinct ids cannot turn into a flood of registry
 * calls. One lookup per id runs at a time: every record that needs the same id shares it.
 *
 * <p>Bounds: at most {@code threads} calls at once and {@code perSecond} on average ({@link RateLimit}, a burst of one
 * second's worth after a quiet spell). Lookups wait their turn in a queue; the intake only asks for ids of records it
 * holds, so the queue is bounded by the intake's own bound on unfinished records ({@code backpressure.high-water}).
 *
 * <p>Thread-safe. {@link #close()} stops the threads; lookups not yet run then fail.
 */
final class SchemaLookups implements AutoCloseable {

    private final IntConsumer lookup;
    private final RateLimit rate;
    private final ThreadPoolExecutor threads;
    private final ConcurrentHashMap<Integer, CompletableFuture<Void>> running = new ConcurrentHashMap<>();

    /**
     * @param lookup asks the registry for one id and caches the answer (the registry client's {@code schemaById});
     *               whatever it throws completes the lookup's future exceptionally
     */
    SchemaLookups(IntConsumer lookup, double perSecond, int threadCount) {
        if (threadCount < 1) {
            throw new IllegalArgumentException("schema lookups need at least 1 thread, got " + threadCount);
        }
        this.lookup = lookup;
        this.rate = new RateLimit(perSecond, (int) Math.max(1, Math.ceil(perSecond)), System::nanoTime);
        AtomicInteger n = new AtomicInteger();
        this.threads = new ThreadPoolExecutor(
                threadCount, threadCount, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "schema-lookup-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.threads.allowCoreThreadTimeOut(true);
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
        long waitNanos = rate.reserve();
        if (waitNanos == 0) {
            submit(id, mine);
        } else {
            // The JDK's one delay-scheduler thread only hands the lookup over when its turn comes.
            Executor handOver = Runnable::run;
            CompletableFuture.delayedExecutor(waitNanos, TimeUnit.NANOSECONDS, handOver)
                    .execute(() -> submit(id, mine));
        }
        return mine;
    }

    private void submit(int id, CompletableFuture<Void> future) {
        try {
            threads.execute(() -> run(id, future));
        } catch (RejectedExecutionException e) {
            running.remove(id, future);
            future.completeExceptionally(e);
        }
    }

    private void run(int id, CompletableFuture<Void> future) {
        try {
            lookup.accept(id);
            running.remove(id, future);
            future.complete(null);
        } catch (RuntimeException e) {
            running.remove(id, future);
            future.completeExceptionally(e);
        }
    }

    /** Lookups queued or running. */
    int pending() {
        return running.size();
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
