package io.modelpool.worker.capability.texttotext;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.worker.capability.ClosedTokenizerException;
import io.modelpool.worker.capability.GuardedTokenizer;
import io.modelpool.worker.runtime.ModelSource;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Map;

/**
 * A causal language model's Hugging Face tokenizer, read from a tokenizer.json stream (never fetched by hub
 * name), without padding or truncation: prompt length is checked against the manifest's cap instead of being
 * cut silently.
 *
 * <p>Thread-safe. Closing waits for calls under way and makes later ones fail with
 * {@link ClosedTokenizerException}.
 */
final class LmTokenizer implements AutoCloseable {

    private final GuardedTokenizer tokenizer;
    private final long eosId;
    private final int vocabularySize;

    private LmTokenizer(HuggingFaceTokenizer tokenizer, long eosId, int vocabularySize) {
        this.tokenizer = new GuardedTokenizer(tokenizer);
        this.eosId = eosId;
        this.vocabularySize = vocabularySize;
    }

    /**
     * Loads the tokenizer.json at {@code source} and resolves {@code eosToken} to its id.
     *
     * @throws IOException when the file cannot be read or {@code eosToken} is not exactly one token
     */
    static LmTokenizer load(ModelSource source, String eosToken) throws IOException {
        byte[] json = source.readAllBytes();
        int size = vocabularySize(json);
        HuggingFaceTokenizer tokenizer = HuggingFaceTokenizer.newInstance(
                new ByteArrayInputStream(json),
                Map.of("padding", "false", "truncation", "false", "addSpecialTokens", "true"));
        long[] ids = tokenizer.encode(eosToken, false, false).getIds();
        if (ids.length != 1) {
            tokenizer.close();
            throw new IOException("eos-token '" + eosToken + "' is " + ids.length + " tokens in " + source
                    + "; it must be exactly one");
        }
        return new LmTokenizer(tokenizer, ids[0], size);
    }

    /**
     * One more than the largest id of a tokenizer.json: its model's vocabulary (an object of token to id for
     * WordLevel, WordPiece and BPE; a list of [token, score] pairs for Unigram) and its added tokens.
     */
    static int vocabularySize(byte[] json) throws IOException {
        JsonNode root = new ObjectMapper().readTree(json);
        long largest = -1;
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isArray()) {
            largest = vocab.size() - 1L;
        } else {
            for (JsonNode id : vocab) {
                largest = Math.max(largest, id.asLong());
            }
        }
        for (JsonNode added : root.path("added_tokens")) {
            largest = Math.max(largest, added.path("id").asLong());
        }
        return Math.toIntExact(largest + 1);
    }

    /** One more than the largest id the tokenizer produces. */
    int vocabularySize() {
        return vocabularySize;
    }

    long eosId() {
        return eosId;
    }

    /** The prompt's token ids, with the special tokens the tokenizer's post-processor adds. */
    long[] encode(String text) {
        return tokenizer.use(t -> t.encode(text).getIds());
    }

    /** The text of {@code ids}, special tokens skipped. */
    String decode(long[] ids) {
        return tokenizer.use(t -> t.decode(ids, true));
    }

    boolean isClosed() {
        return tokenizer.isClosed();
    }

    /** Frees the native tokenizer once no call is under way. Idempotent. */
    @Override
    public void close() {
        tokenizer.close();
    }
}
