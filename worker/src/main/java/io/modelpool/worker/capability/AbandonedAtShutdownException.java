package io.modelpool.worker.capability;

/**
 * How a request's future ends when the worker's shutdown cut its work short (a generation or denoising loop stopped
 * at the model's {@code shutdown-grace}): it has no answer. The intake publishes nothing for it and leaves its offset
 * uncommitted, so the partition's next owner runs the request whole; a truncated text or a SHUTTING_DOWN error would
 * instead answer it for good with less than the client asked for.
 *
 * <p>Completed exceptionally on a pool thread, only after the pool began shutting down.
 */
public final class AbandonedAtShutdownException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public AbandonedAtShutdownException(String message) {
        super(message, null, false, false);
    }
}
