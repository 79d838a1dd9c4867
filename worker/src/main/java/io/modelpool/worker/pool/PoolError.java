package io.modelpool.worker.pool;

/**
 * Why the pool refused or gave up on a task: a closed set, so callers map it with an exhaustive switch.
 */
public sealed interface PoolError {

    /** A line for logs and error messages that names the model where one is involved. */
    String describe();

    /** The pool has begun shutting down: it takes no new work, and a drain that timed out abandons the rest. */
    record ShuttingDown(String model) implements PoolError {
        @Override
        public String describe() {
            return "model pool is shutting down; model '" + model + "' takes no more work";
        }
    }

    /** The model's bounded queue cannot take the submitted tasks now; retrying later may succeed. */
    record Overloaded(String model, int queued, int capacity, int requested) implements PoolError {
        @Override
        public String describe() {
            return "model '" + model + "' is overloaded: " + queued + " of " + capacity + " queue slots taken, "
                    + requested + " more requested";
        }
    }

    /** No model with this key is registered in this pool. */
    record UnknownModel(String model) implements PoolError {
        @Override
        public String describe() {
            return "unknown model '" + model + "'";
        }
    }

    /** Every worker of the model failed to open its runner (load its session). */
    record ModelLoadFailed(String model, String reason) implements PoolError {
        @Override
        public String describe() {
            return "model '" + model + "' failed to load: " + reason;
        }
    }

    /** The submitter withdrew the task before it started ({@link Withdrawal}); it was not run. */
    record Withdrawn(String model, Withdrawal.Reason reason) implements PoolError {
        @Override
        public String describe() {
            return reason.message();
        }
    }
}
