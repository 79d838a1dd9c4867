package io.modelpool.worker.capability;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;

/**
 * A native Hugging Face tokenizer that is safe to close while other threads still use it: every use holds a read
 * lock, closing takes the write lock, so closing waits for uses under way and a use after it fails with
 * {@link ClosedTokenizerException} instead of touching freed native memory. The capabilities' tokenizers (text
 * embedding, text-to-text, text-to-image) each wrap one and add what their family needs.
 *
 * <p>Thread-safe: the native tokenizer takes no mutable state per call.
 */
public final class GuardedTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    public GuardedTokenizer(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Runs {@code use} with the tokenizer held open.
     *
     * @throws ClosedTokenizerException after {@link #close()}
     */
    public <V> V use(Function<HuggingFaceTokenizer, V> use) {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw new ClosedTokenizerException();
            }
            return use.apply(tokenizer);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    public boolean isClosed() {
        lifecycle.readLock().lock();
        try {
            return closed;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** Frees the native tokenizer once no use is under way. Idempotent. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                tokenizer.close();
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }
}
