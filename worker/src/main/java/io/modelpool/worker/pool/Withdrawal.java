package io.modelpool.worker.pool;

/**
 * Lets the submitter of work take it back before it starts. A task submitted while a withdrawal is in scope
 * ({@link Withdrawals#during}) carries it, and the worker that is about to run the task's batch asks it whether the
 * task is still wanted. A withdrawn task is failed with a {@link PoolRejectedException} carrying
 * {@link PoolError.Withdrawn}, is never run and costs no inference; a task whose batch has started finishes normally.
 *
 * <p>The pool does not know why work is withdrawn: the submitter decides (a cancelled job, a closed completion
 * window) and the capability maps the {@link Kind} to its own error.
 *
 * <p>Threads: {@link #reason()} is called on pool worker threads, once per task just before its batch runs, while no
 * pool lock is held. It must be quick and thread-safe; an exception from it is logged and the task runs.
 */
@FunctionalInterface
public interface Withdrawal {

    /** Why work is no longer wanted. */
    enum Kind {
        /** Its submitter cancelled it. */
        CANCELLED,
        /** The time it had to be done in has passed. */
        EXPIRED
    }

    /**
     * @param kind    why
     * @param message one line for the error result, naming what was withdrawn (a job id, for example)
     */
    record Reason(Kind kind, String message) {
        public Reason {
            java.util.Objects.requireNonNull(kind, "kind");
            java.util.Objects.requireNonNull(message, "message");
        }
    }

    /** Null while the work is wanted; otherwise why it was withdrawn. */
    Reason reason();
}
