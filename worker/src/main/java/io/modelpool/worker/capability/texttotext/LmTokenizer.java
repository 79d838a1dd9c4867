package io.modelpool.worker.capability.texttotext;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.modelpool.worker.runtime.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A causal language model's Hugging Face tokenizer, read from a tokenizer.json stream (never fetched by hub
 * name), without padding or truncation: prompt length is checked against the manifest's cap instead of being
 * cut silently.
 *
 * <p>Thread-safe. Closing waits for calls under way and makes later ones fail with
 * {@link IllegalStateException}.
 */
final class LmTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final long eosId;
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private boolean closed;

    private LmTokenizer(HuggingFaceTokenizer tokenizer, long eosId) {
        this.tokenizer = tokenizer;
        this.eosId = eosId;
    }

    /**
     * Loads the tokenizer.json at {@code source} and resolves {@code eosToken} to its id.
     *
     * @throws IOException when the file cannot be read or {@code eosToken} is not exactly one token
     */
    static LmTokenizer load(ModelSource source, String eosToken) throws IOException {
        try (InputStream in = source.open()) {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(in, Map.of(
                    "padding", "false", "truncation", "false", "addSpecialTokens", "true"));
            long[] ids = tokenizer.encode(eosToken, false, false).getIds();
            if (ids.length != 1) {
                tokenizer.close();
                throw new IOException("eos-token '" + eosToken + "' is " + ids.length
                        + " tokens in " + source + "; it must be exactly one");
            }
            return new LmTokenizer(tokenizer, ids[0]);
        }
    }

    long eosId() {
        return eosId;
    }

    /** The prompt's token ids, with the special tokens the tokenizer's post-processor adds. */
    long[] encode(String text) {
        lifecycle.readLock().lock();
        try {
            requireOpen();
            Encoding encoding = tokenizer.encode(text);
            return encoding.getIds();
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /** The text of {@code ids}, special tokens skipped. */
    String decode(long[] ids) {
        lifecycle.readLock().lock();
        try {
            requireOpen();
            return tokenizer.decode(ids, true);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    boolean isClosed() {
        lifecycle.readLock().lock();
        try {
            return closed;
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("tokenizer is closed");
        }
    }

    /** Frees the native tokenizer once no call is under way. Idempotent. */
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
