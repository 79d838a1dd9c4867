package io.modelpool.devstack.registry;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Shared catch-ups of the store: a request that must see everything written before it arrived waits for a
 * catch-up that began after it arrived, and one catch-up serves every request waiting when it begins.
 *
 * <p>Requests join the next round, which is open until a runner thread takes it and starts the catch-up; a
 * request that arrives while a round runs joins the round after it, so it is never answered by a catch-up that
 * may have read the log's end before its arrival. Rounds run one at a time on one thread; with N requests
 * arriving during each round, the store sees one catch-up per N requests (the single-flight pattern of Go's
 * {@code golang.org/x/sync/singleflight}, with the extra rule that a round already running is not joined). Waiters
 * hold no lock while the catch-up makes its broker round trip.
 *
 * <p>Thread-safe. A waiter gives up after the store timeout with error 50001, as a request that cannot get the
 * store's lock in time does; the round it joined still runs and serves the others.
 */
final class CatchUps implements AutoCloseable {

    private final Runnable catchUp;
    private final Duration timeout;
    private final ExecutorService runner;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicInteger waiting = new AtomicInteger();
    // Guarded by this: the round requests join, and whether the runner is taking rounds.
    private CompletableFuture<Void> next;
    private boolean running;

    /**
     * @param catchUp reads the store to its end as of when it is called; throws {@link RegistryException} when it
     *                cannot
     */
    CatchUps(Runnable catchUp, Duration timeout, String threadName) {
        this.catchUp = catchUp;
        this.timeout = timeout;
        this.runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Returns once a catch-up that began after this call has completed.
     *
     * @throws RegistryException 50001 when that catch-up failed or did not complete within the store timeout
     */
    void await() {
        CompletableFuture<Void> round;
        synchronized (this) {
            if (next == null) {
                next = new CompletableFuture<>();
            }
            round = next;
            if (!running) {
                try {
                    runner.execute(this::runRounds);
                } catch (RejectedExecutionException e) {
                    next = null;
                    throw RegistryException.storeError("the registry is closing", e);
                }
                running = true;
            }
        }
        waiting.incrementAndGet();
        try {
            round.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RegistryException failure) {
                throw failure;
            }
            throw RegistryException.storeError("catch-up failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw RegistryException.storeError("store busy for more than " + timeout.toMillis() + " ms", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RegistryException.storeError("interrupted while waiting for the store", e);
        } finally {
            waiting.decrementAndGet();
        }
    }

    /** Requests waiting for a catch-up now. */
    int waiting() {
        return waiting.get();
    }

    /** Catch-ups completed since start, failed ones included. */
    long completed() {
        return completed.get();
    }

    private void runRounds() {
        while (true) {
            CompletableFuture<Void> round;
            synchronized (this) {
                round = next;
                next = null;
                if (round == null) {
                    running = false;
                    return;
                }
            }
            RuntimeException failure = null;
            try {
                catchUp.run();
            } catch (RuntimeException e) {
                failure = e;
            }
            completed.incrementAndGet();
            if (failure == null) {
                round.complete(null);
            } else {
                round.completeExceptionally(failure);
            }
        }
    }

    @Override
    public void close() {
        runner.shutdownNow();
        synchronized (this) {
            if (next != null) {
                next.completeExceptionally(RegistryException.storeError("the registry is closing", null));
                next = null;
            }
        }
        try {
            // The store closes next; its consumer must not be in use by a round still running.
            runner.awaitTermination(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
