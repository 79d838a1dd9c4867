package io.modelpool.worker.capability.texttoimage;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.modelpool.worker.capability.ClosedTokenizerException;
import io.modelpool.worker.capability.GuardedTokenizer;
import io.modelpool.worker.runtime.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Map;

/**
 * The text encoder's Hugging Face tokenizer, read from a tokenizer.json stream: prompts become exactly
 * {@code length} ids (special tokens added by the tokenizer, cut or padded with the pad token), as CLIP text
 * encoders expect.
 *
 * <p>Thread-safe. Closing waits for encodes under way and makes later ones fail with
 * {@link ClosedTokenizerException}.
 */
final class PromptTokenizer implements AutoCloseable {

    private final GuardedTokenizer tokenizer;
    private final int length;
    private final long padId;

    private PromptTokenizer(HuggingFaceTokenizer tokenizer, int length, long padId) {
        this.tokenizer = new GuardedTokenizer(tokenizer);
        this.length = length;
        this.padId = padId;
    }

    /** @throws IOException when the file cannot be read or {@code padToken} is not exactly one token */
    static PromptTokenizer load(ModelSource source, String padToken, int length) throws IOException {
        try (InputStream in = source.open()) {
            HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                    in, Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
            long[] ids = tokenizer.encode(padToken, false, false).getIds();
            if (ids.length != 1) {
                tokenizer.close();
                throw new IOException("pad-token '" + padToken + "' is " + ids.length + " tokens in " + source
                        + "; it must be exactly one");
            }
            return new PromptTokenizer(tokenizer, length, ids[0]);
        }
    }

    /**
     * Exactly {@code length} ids for {@code text}.
     *
     * @throws ClosedTokenizerException after {@link #close()}
     */
    long[] encode(String text) {
        long[] ids = tokenizer.use(t -> t.encode(text).getIds());
        long[] out = Arrays.copyOf(ids, length);
        if (ids.length < length) {
            Arrays.fill(out, ids.length, length, padId);
        }
        return out;
    }

    boolean isClosed() {
        return tokenizer.isClosed();
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
