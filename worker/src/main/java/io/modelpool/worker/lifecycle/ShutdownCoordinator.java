package io.modelpool.worker.lifecycle;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the worker's shutdown sequence exactly once, whoever asks first (a signal, the end of a local job, a fatal
 * error), and bounds it with a {@link Watchdog}.
 *
 * <p>The sequence itself (reject new work, pause intake, drain, publish, commit, close) belongs to the {@link
 * Target}; the coordinator decides when it starts, waits for it, logs the outcome and turns it into an exit status:
 * 0 for a completed sequence (a drain that abandoned work still exits 0: the abandoned records were not committed,
 * so another worker processes them), 1 for a forced exit or a worker that stopped on a fatal error.
 *
 * <p>Thread-safe. {@link #initiate} returns at once; {@link #awaitCompletion} blocks the caller (the main thread).
 */
public final class ShutdownCoordinator {

    private static final Logger log = LoggerFactory.getLogger(ShutdownCoordinator.class);

    /** What the coordinator shuts down. */
    public interface Target {
        /** Starts the sequence; returns at once. Called once, from the thread that initiated shutdown. */
        void beginShutdown();

        /**
         * Waits for the sequence to end and reports it. Called once, on the thread that awaits completion.
         *
         * @return what was drained and abandoned
         */
        Outcome awaitShutdown() throws InterruptedException;
    }

    /** The sequence's result, for the closing log line; {@code elapsed} is measured from the signal. */
    public record Outcome(Duration elapsed, int drained, int abandoned, boolean committed, boolean failed) {}

    private final Target target;
    private final Duration budget;
    private final Halter halter;
    private final AtomicBoolean initiated = new AtomicBoolean();
    private volatile String reason = "";
    private volatile Watchdog watchdog;

    /** How the process is ended when it must be: {@link Runtime#halt} in the worker, a recorder in tests. */
    @FunctionalInterface
    public interface Halter {
        void halt(int status);
    }

    /**
     * @param budget drain timeout plus close budget; the watchdog halts the process one second after it
     */
    public ShutdownCoordinator(Target target, Duration budget, Halter halter) {
        this.target = target;
        this.budget = budget;
        this.halter = halter;
    }

    /**
     * Starts the graceful shutdown (first call) or forces exit with status 1 (a later call while the sequence runs,
     * such as a second SIGTERM or SIGINT).
     */
    public void initiate(String why) {
        if (initiated.compareAndSet(false, true)) {
            reason = why;
            log.info("Shutdown requested ({}): pausing intake and draining in-flight work", why);
            long signalled = System.nanoTime();
            watchdog = Watchdog.start(budget.plusSeconds(1), () -> {
                // The sequence's own line will not come: say how it ended, in the same form, before halting.
                log.error(
                        "Shutdown complete ({}, requests still in flight abandoned: not committed, another worker "
                                + "will process them) but the sequence overran its budget of {} ms; halting with status 1",
                        String.format(Locale.ROOT, "%.2fs", (System.nanoTime() - signalled) / 1e9),
                        budget.toMillis());
                halter.halt(1);
            });
            target.beginShutdown();
        } else {
            log.warn("Second shutdown request ({}) during the drain: exiting now with status 1", why);
            halter.halt(1);
        }
    }

    /**
     * Starts the graceful shutdown unless it has begun already; never forces exit. For code paths that end the
     * worker on purpose (a local job that finished, a failed start), as opposed to an operator's signal.
     */
    public void requestStop(String why) {
        if (!initiated.get()) {
            initiate(why);
        }
    }

    /** Whether shutdown has begun (readiness reports not ready from then on). */
    public boolean initiated() {
        return initiated.get();
    }

    /**
     * Waits until the worker's sequence has ended (after {@link #initiate}, or on its own after a fatal error), logs
     * the outcome, and returns the exit status: 0 when the sequence completed, 1 when the worker failed.
     */
    public int awaitCompletion() throws InterruptedException {
        return finish(target.awaitShutdown());
    }

    private int finish(Outcome outcome) {
        Watchdog w = watchdog;
        if (w != null) {
            w.cancel();
        }
        String seconds = String.format(Locale.ROOT, "%.2fs", outcome.elapsed().toNanos() / 1e9);
        if (outcome.failed()) {
            log.error(
                    "Worker stopped after a fatal error ({}, {} requests drained, {} abandoned)",
                    seconds,
                    outcome.drained(),
                    outcome.abandoned());
            return 1;
        }
        if (outcome.abandoned() == 0 && outcome.committed()) {
            log.info("Graceful shutdown complete ({}, {} requests drained)", seconds, outcome.drained());
        } else if (outcome.abandoned() > 0) {
            log.warn(
                    "Shutdown complete ({}, {} requests drained, {} abandoned: not committed, another worker will "
                            + "process them)",
                    seconds,
                    outcome.drained(),
                    outcome.abandoned());
        } else {
            log.warn(
                    "Shutdown complete ({}, {} requests drained) but the final commit failed: the uncommitted "
                            + "records will be processed again",
                    seconds,
                    outcome.drained());
        }
        return 0;
    }

    /** Why shutdown began. */
    public String reason() {
        return reason;
    }
}
