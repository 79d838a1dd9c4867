package io.modelpool.worker.capability.textembedding;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.modelpool.worker.capability.ClosedTokenizerException;
import io.modelpool.worker.capability.GuardedTokenizer;
import io.modelpool.worker.runtime.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;

/**
 * A Hugging Face tokenizer read from a tokenizer.json stream (never fetched by hub name, so it works
 * offline), set to truncate at the model's maximum length and never to pad.
 *
 * <p>Why the options matter: the shipped MiniLM tokenizer.json itself pads to a fixed 128 and truncates at
 * 128, which would silently cut texts and waste compute on padding. Padding is off (the pool batches by
 * length and pads per batch only when a model batches), and truncation comes from the manifest, with each
 * cut reported.
 *
 * <p>Thread-safe: the native tokenizer takes no mutable state per call. Closing waits for encodes under way
 * and makes later ones fail with {@link ClosedTokenizerException}, so a shutdown that closes the tokenizer while
 * another thread still submits can never free native memory that is in use.
 */
public final class TextTokenizer implements AutoCloseable {

    private final GuardedTokenizer tokenizer;
    private final int maxLength;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
        this.tokenizer = new GuardedTokenizer(tokenizer);
        this.maxLength = maxLength;
    }

    /** Loads the tokenizer.json at {@code source} with truncation at {@code maxLength} and no padding. */
    public static TextTokenizer load(ModelSource source, int maxLength) throws IOException {
        try (InputStream in = source.open()) {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                    in,
                    Map.of(
                            "padding", "false",
                            "truncation", "true",
                            "maxLength", Integer.toString(maxLength),
                            "addSpecialTokens", "true"));
            return new TextTokenizer(tokenizer, maxLength);
        }
    }

    public int maxLength() {
        return maxLength;
    }

    /**
     * Tokenises one text with special tokens, truncated to the maximum length.
     *
     * @throws ClosedTokenizerException after {@link #close()}
     */
    public EncodedText encode(String text, long deadlineEpochMs) {
        Encoding encoding = tokenizer.use(t -> t.encode(text));
        return new EncodedText(encoding.getIds(), encoding.exceedMaxLength(), deadlineEpochMs);
    }

    public boolean isClosed() {
        return tokenizer.isClosed();
    }

    /** Frees the native tokenizer once no encode is under way. Idempotent. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
