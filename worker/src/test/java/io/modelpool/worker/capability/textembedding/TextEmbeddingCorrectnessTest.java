package io.modelpool.worker.capability.textembedding;

import static io.modelpool.worker.capability.textembedding.Embeddings.call;
import static io.modelpool.worker.capability.textembedding.Embeddings.cosine;
import static io.modelpool.worker.capability.textembedding.Embeddings.embedEach;
import static io.modelpool.worker.capability.textembedding.Embeddings.norm;
import static io.modelpool.worker.capability.textembedding.Embeddings.request;
import static io.modelpool.worker.capability.textembedding.Embeddings.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import io.modelpool.v1.Capability;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.BatchSpec;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.ModelState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Vectors are right, not only shaped right: checked against semantics, against LangChain4j's in-process
 * embedder, and against themselves across batching. Every model loads once for the class.
 */
class TextEmbeddingCorrectnessTest {

    private static final String MINILM = "all-minilm-l6-v2-q";
    private static final String MINILM_BATCHED = "all-minilm-l6-v2-q-batched";
    private static final String MINILM_AS_EXPORTED = "all-minilm-l6-v2-q-as-exported";
    private static final String MINILM_PER_TOKEN = "all-minilm-l6-v2-q-per-token";
    private static final String BGE = "bge-small-en-v1.5-q";
    private static final String E5 = "e5-small-v2-q";

    private static PoolGroup registry;
    private static CapabilityService service;

    @BeforeAll
    static void startRegistry() {
        ModelManifest shipped = ManifestLoader.loadDefault();
        List<ModelDefinition> models = new ArrayList<>(shipped.models());
        // the same MiniLM file in throughput mode, under a second key
        models.add(shipped.model(MINILM)
                .orElseThrow()
                .withKey(MINILM_BATCHED)
                .withBatchInvariant(false)
                .withWorkers(2, new BatchSpec(8, 4096, "20ms", 4096, 64)));
        // the file as exported (per-tensor int8), one text per run: what LangChain4j's embedder runs
        models.add(shipped.model(MINILM)
                .orElseThrow()
                .withKey(MINILM_AS_EXPORTED)
                .withParameter("activation-quantization", "as-exported")
                .withWorkers(1, BatchSpec.defaults()));
        // the opt-in per-token rewrite, which batches under the batch-invariant promise
        models.add(shipped.model(MINILM)
                .orElseThrow()
                .withKey(MINILM_PER_TOKEN)
                .withParameter("activation-quantization", "per-token"));
        registry = CapabilityRegistry.fromManifest(new ModelManifest(shipped.limits(), models));
        assertThat(registry.awaitLoaded(Duration.ofSeconds(60)))
                .containsOnlyKeys(MINILM, MINILM_BATCHED, MINILM_AS_EXPORTED, MINILM_PER_TOKEN, BGE, E5)
                .allSatisfy((key, state) -> assertThat(state).isEqualTo(ModelState.READY));
        service = registry.service(Capability.TEXT_EMBEDDING);
    }

    @AfterAll
    static void closeRegistry() {
        registry.close();
    }

    @Test
    void eachModelScoresAParaphrasePairFarAboveAnUnrelatedPair() throws Exception {
        for (String model : List.of(MINILM, BGE, E5)) {
            TextEmbeddingResult r = call(
                    service,
                    request(
                            model,
                            List.of(
                                    "A man is playing a guitar on stage.",
                                    "Someone performs music with a guitar in front of an audience.",
                                    "The quarterly tax report is due next Friday.")));
            double paraphrase = cosine(vector(r, 0), vector(r, 1));
            double unrelated = cosine(vector(r, 0), vector(r, 2));

            assertThat(paraphrase).as("%s paraphrase", model).isGreaterThan(unrelated + 0.15);
            assertThat(r.getPayload().getDimensions()).isEqualTo(384);
            assertThat(norm(vector(r, 0))).as("%s is L2-normalised", model).isCloseTo(1.0, within(1e-4));
        }
    }

    @Test
    void miniLmVectorsMatchLangChain4jsInProcessEmbedder() throws Exception {
        AllMiniLmL6V2QuantizedEmbeddingModel reference = new AllMiniLmL6V2QuantizedEmbeddingModel();
        List<String> texts = Embeddings.sentences(40);
        texts.add("Short.");
        texts.add("Ünïcödé text, emoji 🙂 and punctuation — all handled the same way!");

        List<float[]> ours = embedEach(service, MINILM_AS_EXPORTED, texts);
        List<float[]> perToken = embedEach(service, MINILM_PER_TOKEN, texts);

        for (int i = 0; i < texts.size(); i++) {
            float[] theirs = reference.embed(texts.get(i)).content().vector();
            assertThat(cosine(ours.get(i), theirs))
                    .as("text %d: %s", i, texts.get(i))
                    .isGreaterThanOrEqualTo(0.9999);
            // the per-token rewrite quantises differently: same text, vector within a few per cent
            assertThat(cosine(perToken.get(i), theirs))
                    .as("per-token, text %d", i)
                    .isGreaterThan(0.95);
        }
    }

    @Test
    void invariantModeGivesATextTheSameVectorWhateverItIsBatchedWith() throws Exception {
        List<String> texts = Embeddings.sentences(64);
        // the shipped entry runs each text alone; the per-token entry batches, and a batch changes no bit of a vector
        for (String model : List.of(MINILM, MINILM_PER_TOKEN)) {
            List<float[]> alone = new ArrayList<>();
            for (String t : texts.subList(0, 8)) {
                alone.add(vector(call(service, request(model, List.of(t))), 0));
            }

            // the same texts inside one 64-text request and among 64 concurrent single-text requests
            TextEmbeddingResult together = call(service, request(model, texts));
            List<float[]> crowd = embedEach(service, model, texts);

            for (int i = 0; i < 8; i++) {
                assertThat(vector(together, i))
                        .as("%s: text %d in a 64-text request", model, i)
                        .isEqualTo(alone.get(i));
                assertThat(crowd.get(i))
                        .as("%s: text %d among concurrent requests", model, i)
                        .isEqualTo(alone.get(i));
            }
        }
    }

    @Test
    void throughputModeBatchesByLengthAndStaysCloseToTheInvariantVectors() throws Exception {
        List<String> texts = Embeddings.sentences(64);
        List<float[]> invariant = embedEach(service, MINILM, texts);

        TextEmbeddingResult batched = call(service, request(MINILM_BATCHED, texts));

        for (int i = 0; i < texts.size(); i++) {
            // dynamic int8 quantisation over a batch moves vectors slightly; they stay the same text
            assertThat(cosine(vector(batched, i), invariant.get(i)))
                    .as("text %d", i)
                    .isGreaterThan(0.97);
        }
    }

    @Test
    void e5AppliesTheQueryAndPassagePrefixesFromTheManifest() throws Exception {
        String text = "how do vaccines train the immune system";
        float[] asQuery = vector(call(service, request(E5, List.of(text), EmbeddingInputType.QUERY)), 0);
        float[] asPassage = vector(call(service, request(E5, List.of(text), EmbeddingInputType.DOCUMENT)), 0);
        TextEmbeddingResult queryResult = call(service, request(E5, List.of(text), EmbeddingInputType.QUERY));

        assertThat(cosine(asQuery, asPassage)).isLessThan(0.9999).isGreaterThan(0.8);
        // "query: " adds two tokens ("query", ":") over the passage form's "passage", ":"; both prefixed
        assertThat(queryResult.getPayload().getEmbeddings().get(0).getTokens())
                .isEqualTo(call(service, request(E5, List.of(text), EmbeddingInputType.DOCUMENT))
                        .getPayload()
                        .getEmbeddings()
                        .get(0)
                        .getTokens());
    }

    @Test
    void aTextLongerThanTheModelsMaximumIsTruncatedAndFlaggedNotRefused() throws Exception {
        String longText = String.join(" ", java.util.Collections.nCopies(400, "word"));
        TextEmbeddingResult r = call(service, request(MINILM, List.of(longText, "short text")));

        assertThat(r.getPayload().getEmbeddings().get(0).getTruncated()).isTrue();
        assertThat(r.getPayload().getEmbeddings().get(0).getTokens()).isEqualTo(256);
        assertThat(r.getPayload().getEmbeddings().get(1).getTruncated()).isFalse();
        assertThat(r.getPayload().getEmbeddings().get(1).getTokens()).isEqualTo(4);
    }

    @Test
    void aResultCarriesTheRequestsIdsAndTimingsAndItsEnvelopeSaysTheSameAndTheIntakeStampsTheRest() throws Exception {
        var req = request(MINILM, List.of("timing check"));
        req.setJobId("job-7");
        Outcome outcome = service.handle(
                        req,
                        new io.modelpool.worker.capability.RequestContext("worker-9", System.currentTimeMillis() - 50))
                .get(60, java.util.concurrent.TimeUnit.SECONDS);
        TextEmbeddingResult r = (TextEmbeddingResult) outcome.record();

        assertThat(r.getRequestId()).isEqualTo(req.getId());
        assertThat(r.getJobId()).isEqualTo("job-7");
        assertThat(r.getModel()).isEqualTo(MINILM);
        assertThat(r.getTimings().getQueuedMs()).isGreaterThanOrEqualTo(0);
        assertThat(outcome.envelope())
                .isEqualTo(new Outcome.Envelope(
                        req.getId(),
                        "job-7",
                        MINILM,
                        ResultStatus.OK,
                        null,
                        r.getTimings().getQueuedMs(),
                        r.getTimings().getInferenceMs()));

        assertThat(outcome.stamp("worker-10", 1234)).isSameAs(r);
        assertThat(r.getWorkerId()).isEqualTo("worker-10");
        assertThat(r.getTimings().getEndToEndMs()).isEqualTo(1234);
    }
}
