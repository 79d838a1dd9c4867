package io.modelpool.worker.capability;

/** A tokenizer was used after it was closed: the worker is shutting down, so the request is refused as the pool would. */
public final class ClosedTokenizerException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    public ClosedTokenizerException() {
        super("tokenizer is closed");
    }
}
