package io.modelpool.bench;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Baseline (a): what a Java user would write, LangChain4j's {@code AllMiniLmL6V2QuantizedEmbeddingModel}
 * with its defaults and {@code embedAll} over the whole corpus. Its defaults are ONNX Runtime's (one session
 * whose intra-op pool has one thread per core) and an executor of one task per core.
 */
final class LangChain4jBaseline implements Contender {

    private final AllMiniLmL6V2QuantizedEmbeddingModel model = new AllMiniLmL6V2QuantizedEmbeddingModel();

    @Override
    public String key() {
        return "langchain4j";
    }

    @Override
    public String description() {
        return "LangChain4j AllMiniLmL6V2QuantizedEmbeddingModel, defaults, embedAll(all segments)";
    }

    @Override
    public float[][] embed(List<String> texts) {
        List<TextSegment> segments = new ArrayList<>(texts.size());
        for (String text : texts) {
            segments.add(TextSegment.from(text));
        }
        List<Embedding> embeddings = model.embedAll(segments).content();
        float[][] vectors = new float[embeddings.size()][];
        for (int i = 0; i < vectors.length; i++) {
            vectors[i] = embeddings.get(i).vector();
        }
        return vectors;
    }

    @Override
    public void close() {
        // The model owns a session that LangChain4j never exposes for closing; it lives as long as the JVM.
    }
}
