package io.modelpool.worker.capability.textembedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.PerTokenQuantization;
import io.modelpool.worker.runtime.SessionSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MiniLM int8 model, rewritten to per-token activation quantisation, gives every text bitwise the
 * same vector in any padded batch as alone, and its vectors are at least as close to the float32 model's as the
 * int8 model's as exported. Each invariance check is paired with the accuracy check: a rewrite that ONNX
 * Runtime fused wrongly stayed perfectly invariant while its vectors scored cosine 0.6 against float32.
 *
 * <p>Texts: 2,000 real sentences from the Python standard library's docstrings (see texts/README.md).
 */
class PerTokenQuantizationTest {

    private static final int MAX_TOKENS = 256;
    private static final EncoderEmbeddingParameters MEAN =
            new EncoderEmbeddingParameters(Pooling.MEAN, true, MAX_TOKENS, "", "", true);

    private static final Logger LOG = LoggerFactory.getLogger(PerTokenQuantizationTest.class);
    private static final SessionSettings TWO_THREADS =
            new SessionSettings(2, 1, OptLevel.ALL_OPT, ExecutionMode.SEQUENTIAL, false);

    private static TextTokenizer tokenizer;
    private static List<EncodedText> texts;
    private static List<float[]> float32;
    private static List<float[]> int8AsExported;
    private static EncoderEmbeddingRunner perToken;
    private static List<float[]> perTokenAlone;

    @BeforeAll
    static void embedEveryTextAloneOnEachModel() throws Exception {
        tokenizer = TextTokenizer.load(new ModelSource("classpath:all-minilm-l6-v2-q-tokenizer.json"), MAX_TOKENS);
        texts = new ArrayList<>();
        for (String line : lines("texts/python-docstring-sentences.txt")) {
            texts.add(tokenizer.encode(line, Long.MAX_VALUE));
        }
        byte[] int8 = new ModelSource("classpath:all-minilm-l6-v2-q.onnx").readAllBytes();
        // the references run on two threads to keep the test short; thread count does not matter to a cosine
        float32 = alone(runner(new ModelSource("classpath:all-minilm-l6-v2.onnx").readAllBytes(), TWO_THREADS), texts);
        int8AsExported = alone(runner(int8, TWO_THREADS), texts);
        perToken = runner(PerTokenQuantization.rewrite(int8).model(), SessionSettings.singleThread());
        perTokenAlone = new ArrayList<>();
        for (EncodedText t : texts) {
            perTokenAlone.add(vector(perToken.run(List.of(t)).get(0)));
        }
    }

    @AfterAll
    static void close() throws Exception {
        perToken.close();
        tokenizer.close();
    }

    @Test
    void theCorpusIsTwoThousandRealSentencesSomeLongerThanAShortQuery() {
        assertThat(texts).hasSize(2000);
        assertThat(texts.stream().mapToInt(EncodedText::tokens).max().orElseThrow())
                .isGreaterThan(64);
    }

    @Test
    void everyTextGetsBitwiseItsAloneVectorInRandomPaddedBatchesOfOneToThirtyTwo() throws Exception {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(25));
        Random sizes = new Random(2025);
        int differing = 0;
        int paddedRows = 0;
        for (int start = 0; start < order.size(); ) {
            List<Integer> batch = order.subList(start, Math.min(order.size(), start + 1 + sizes.nextInt(32)));
            List<EncodedText> inputs = batch.stream().map(texts::get).toList();
            int longest = inputs.stream().mapToInt(EncodedText::tokens).max().orElseThrow();
            List<EmbeddingOutcome> outcomes = perToken.run(inputs);
            for (int k = 0; k < batch.size(); k++) {
                if (!Arrays.equals(vector(outcomes.get(k)), perTokenAlone.get(batch.get(k)))) {
                    differing++;
                }
                if (inputs.get(k).tokens() < longest) {
                    paddedRows++;
                }
            }
            start += batch.size();
        }
        assertThat(paddedRows).as("texts that ran padded").isGreaterThan(1000);
        assertThat(differing)
                .as("texts whose batched vector differs in any bit from their alone vector")
                .isZero();
    }

    @Test
    void perTokenVectorsAreAtLeastAsCloseToFloat32AsTheInt8ModelAsExported() {
        double[] perTokenCosines = cosines(perTokenAlone);
        double[] asExportedCosines = cosines(int8AsExported);
        double perTokenMean = Arrays.stream(perTokenCosines).average().orElseThrow();
        double asExportedMean = Arrays.stream(asExportedCosines).average().orElseThrow();
        double perTokenMin = Arrays.stream(perTokenCosines).min().orElseThrow();
        double asExportedMin = Arrays.stream(asExportedCosines).min().orElseThrow();

        LOG.info(
                "Cosine to float32 MiniLM over {} texts: per-token mean {} least {}; int8 as exported mean {} least {}",
                perTokenCosines.length,
                perTokenMean,
                perTokenMin,
                asExportedMean,
                asExportedMin);
        assertThat(perTokenMean)
                .as("mean cosine to float32, per-token vs as exported (%.4f)", asExportedMean)
                .isGreaterThanOrEqualTo(asExportedMean)
                .isGreaterThan(0.98);
        assertThat(perTokenMin)
                .as("least cosine to float32, per-token vs as exported (%.4f)", asExportedMin)
                .isGreaterThanOrEqualTo(asExportedMin);
    }

    @Test
    void everyShippedEncoderIsRewrittenWithEachAttentionFused() throws IOException {
        assertThat(PerTokenQuantization.rewrite(new ModelSource("classpath:all-minilm-l6-v2-q.onnx").readAllBytes()))
                .extracting(
                        PerTokenQuantization.Result::quantizations,
                        PerTokenQuantization.Result::matMuls,
                        PerTokenQuantization.Result::attentions)
                .containsExactly(24, 36, 6);
        for (String model : List.of("bge-small-en-v1.5-q", "e5-small-v2-q")) {
            assertThat(PerTokenQuantization.rewrite(new ModelSource("classpath:" + model + ".onnx").readAllBytes()))
                    .as(model)
                    .extracting(
                            PerTokenQuantization.Result::quantizations,
                            PerTokenQuantization.Result::matMuls,
                            PerTokenQuantization.Result::attentions)
                    .containsExactly(48, 72, 12);
        }
    }

    @Test
    void theOtherShippedEncodersRewrittenGiveBitwiseTheirAloneVectorsInAPaddedBatchAndStayCloseToTheFile()
            throws Exception {
        List<String> sentences = lines("texts/python-docstring-sentences.txt").subList(0, 24);
        for (String model : List.of("bge-small-en-v1.5-q", "e5-small-v2-q")) {
            try (TextTokenizer own =
                    TextTokenizer.load(new ModelSource("classpath:" + model + "-tokenizer.json"), MAX_TOKENS)) {
                List<EncodedText> sample = new ArrayList<>();
                for (String sentence : sentences) {
                    sample.add(own.encode(sentence, Long.MAX_VALUE));
                }
                byte[] int8 = new ModelSource("classpath:" + model + ".onnx").readAllBytes();
                List<float[]> asExported = alone(runner(int8, TWO_THREADS), sample);
                try (EncoderEmbeddingRunner rewritten =
                        runner(PerTokenQuantization.rewrite(int8).model(), SessionSettings.singleThread())) {
                    List<EmbeddingOutcome> batched = rewritten.run(sample);
                    for (int i = 0; i < sample.size(); i++) {
                        float[] aloneVector =
                                vector(rewritten.run(List.of(sample.get(i))).get(0));
                        assertThat(vector(batched.get(i)))
                                .as("%s, text %d in a padded batch of %d", model, i, sample.size())
                                .containsExactly(aloneVector);
                        assertThat(Embeddings.cosine(aloneVector, asExported.get(i)))
                                .as("%s, text %d: cosine to the file as exported", model, i)
                                .isGreaterThan(0.97);
                    }
                }
            }
        }
    }

    @Test
    void aModelWithoutDynamicQuantizationIsRefusedWithTheReason() throws IOException {
        byte[] float32Model = new ModelSource("classpath:all-minilm-l6-v2.onnx").readAllBytes();
        assertThatThrownBy(() -> PerTokenQuantization.rewrite(float32Model))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no DynamicQuantizeLinear");
        assertThatThrownBy(() -> PerTokenQuantization.rewrite("not a model".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static double[] cosines(List<float[]> vectors) {
        double[] c = new double[vectors.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = Embeddings.cosine(vectors.get(i), float32.get(i));
        }
        return c;
    }

    private static EncoderEmbeddingRunner runner(byte[] model, SessionSettings settings) throws Exception {
        OrtRuntime runtime = OrtRuntime.shared();
        return new EncoderEmbeddingRunner(
                runtime.environment(), runtime.open(model, settings), MEAN, System::currentTimeMillis);
    }

    private static List<float[]> alone(EncoderEmbeddingRunner runner, List<EncodedText> inputs) throws Exception {
        try (runner) {
            List<float[]> vectors = new ArrayList<>();
            for (EncodedText t : inputs) {
                vectors.add(vector(runner.run(List.of(t)).get(0)));
            }
            return vectors;
        }
    }

    private static float[] vector(EmbeddingOutcome outcome) {
        assertThat(outcome).isInstanceOf(EmbeddingOutcome.Vector.class);
        return ((EmbeddingOutcome.Vector) outcome).values();
    }

    private static List<String> lines(String resource) throws IOException {
        try (InputStream in = PerTokenQuantizationTest.class.getClassLoader().getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                    .lines()
                    .filter(l -> !l.isBlank())
                    .toList();
        }
    }
}
