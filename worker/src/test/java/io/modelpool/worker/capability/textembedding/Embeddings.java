package io.modelpool.worker.capability.textembedding;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.PoolRejectedException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Test helpers: build requests, await results, compare vectors. */
final class Embeddings {

    static final RequestContext CONTEXT = new RequestContext("test-worker", 0L);

    private Embeddings() {}

    static TextEmbeddingRequest request(String model, List<String> texts) {
        return request(model, texts, EmbeddingInputType.DOCUMENT);
    }

    static TextEmbeddingRequest request(String model, List<String> texts, EmbeddingInputType type) {
        return TextEmbeddingRequest.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setModel(model)
                .setTexts(new ArrayList<>(texts))
                .setInputType(type)
                .build();
    }

    static TextEmbeddingResult await(CompletableFuture<Outcome> future) {
        try {
            return (TextEmbeddingResult) future.get(60, TimeUnit.SECONDS).record();
        } catch (Exception e) {
            throw new AssertionError("no result within 60 s", e);
        }
    }

    static TextEmbeddingResult call(CapabilityService service, TextEmbeddingRequest request)
            throws PoolRejectedException {
        return await(service.handle(request, CONTEXT));
    }

    /** Embeds each text in its own request, all submitted before any is awaited. */
    static List<float[]> embedEach(CapabilityService service, String model, List<String> texts)
            throws PoolRejectedException {
        List<CompletableFuture<Outcome>> futures = new ArrayList<>();
        for (String t : texts) {
            futures.add(service.handle(request(model, List.of(t)), CONTEXT));
        }
        List<float[]> vectors = new ArrayList<>();
        for (CompletableFuture<Outcome> f : futures) {
            vectors.add(vector(await(f), 0));
        }
        return vectors;
    }

    static float[] vector(TextEmbeddingResult result, int index) {
        assertThat(result.getStatus()).as("result %s", result.getError()).isEqualTo(ResultStatus.OK);
        List<Float> v = result.getPayload().getEmbeddings().get(index).getVector();
        float[] out = new float[v.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = v.get(i);
        }
        return out;
    }

    static double cosine(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
            na += (double) a[i] * a[i];
            nb += (double) b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    static double norm(float[] a) {
        double s = 0;
        for (float x : a) {
            s += (double) x * x;
        }
        return Math.sqrt(s);
    }

    /** Sentences of varied length for batching tests. */
    static List<String> sentences(int count) {
        String[] words = ("the quick brown fox jumps over a lazy dog while engineers measure vector similarity"
                        + " across quantised encoder models running on small machines with two cores and plenty of"
                        + " memory for batches of short and long sentences")
                .split(" ");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int len = 5 + (i * 17) % 50;
            StringBuilder sb = new StringBuilder();
            for (int w = 0; w < len; w++) {
                sb.append(words[(i * 7 + w * 3) % words.length]).append(' ');
            }
            out.add(sb.toString().trim() + " #" + i);
        }
        return out;
    }
}
