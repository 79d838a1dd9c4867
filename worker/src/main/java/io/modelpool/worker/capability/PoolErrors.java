package io.modelpool.worker.capability;

import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.Withdrawal;

/** Maps pool errors to the contract's error codes and retry advice. */
final class PoolErrors {

    private PoolErrors() {}

    public static ErrorCode code(PoolError error) {
        if (error instanceof PoolError.ShuttingDown) {
            return ErrorCode.SHUTTING_DOWN;
        } else if (error instanceof PoolError.Overloaded) {
            return ErrorCode.OVERLOADED;
        } else if (error instanceof PoolError.UnknownModel) {
            return ErrorCode.UNKNOWN_MODEL;
        } else if (error instanceof PoolError.ModelLoadFailed) {
            return ErrorCode.MODEL_LOAD_FAILED;
        } else if (error instanceof PoolError.Withdrawn w) {
            return w.reason().kind() == Withdrawal.Kind.CANCELLED ? ErrorCode.CANCELLED : ErrorCode.EXPIRED;
        }
        throw new IllegalArgumentException("unmapped pool error " + error);
    }

    /** Whether resubmitting the same request may succeed: all but an unknown model and withdrawn work. */
    public static boolean retryable(PoolError error) {
        return !(error instanceof PoolError.UnknownModel || error instanceof PoolError.Withdrawn);
    }
}
