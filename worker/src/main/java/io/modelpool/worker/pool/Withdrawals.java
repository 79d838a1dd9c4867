package io.modelpool.worker.pool;

/**
 * The {@link Withdrawal} in scope on the submitting thread. The intake knows which job a request belongs to; the
 * capability that turns the request into tasks does not need to: the intake calls the capability inside
 * {@link #during}, and every task the pool queues on that thread meanwhile carries the withdrawal. A thread-local
 * scope, like a logging context, so that no capability has to pass it along (or could forget to).
 */
public final class Withdrawals {

    private static final ThreadLocal<Withdrawal> CURRENT = new ThreadLocal<>();

    private Withdrawals() {}

    /** A submission that may be refused by the pool. */
    @FunctionalInterface
    public interface Submission<T> {
        T submit() throws PoolRejectedException;
    }

    /**
     * Runs {@code submission} with {@code withdrawal} in scope on this thread (none when null) and restores the
     * previous scope afterwards, also when it throws.
     */
    public static <T> T during(Withdrawal withdrawal, Submission<T> submission) throws PoolRejectedException {
        Withdrawal previous = CURRENT.get();
        if (withdrawal == null) {
            CURRENT.remove();
        } else {
            CURRENT.set(withdrawal);
        }
        try {
            return submission.submit();
        } finally {
            if (previous == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(previous);
            }
        }
    }

    /** The withdrawal in scope on this thread, or null. */
    static Withdrawal current() {
        return CURRENT.get();
    }
}
