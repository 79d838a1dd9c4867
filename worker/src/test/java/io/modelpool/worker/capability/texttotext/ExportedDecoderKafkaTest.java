package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelpool.v1.Capability;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.KafkaRoundTrip;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/**
 * Decoders exported by PyTorch (tools/pytorch_exports.py: GPT-2-style, Llama-style with grouped-query attention,
 * and GPT-2 as an Optimum-style merged decoder) through the devstack broker: greedy text identical to PyTorch's
 * greedy loop, each generation alone and in padded batches ({@code batch-invariant: false}), and seeded sampling
 * that gives the same text for the same seed.
 */
class ExportedDecoderKafkaTest {

    static final String MANIFEST = "classpath:exported/decoders.yaml";
    private static final List<String> MODELS = List.of("gpt2", "gpt2-merged", "llama");
    private static final List<Long> SEEDS = List.of(3L, 17L);

    /** One case of expected.json: a prompt and PyTorch's greedy continuation. */
    record Case(String prompt, String text, int tokens) {}

    static List<Case> expected(String architecture) throws IOException {
        try (InputStream in =
                ExportedDecoderKafkaTest.class.getResourceAsStream("/exported/" + architecture + "/expected.json")) {
            JsonNode root = new ObjectMapper().readTree(in);
            return StreamSupport.stream(root.get("cases").spliterator(), false)
                    .map(c -> new Case(
                            c.get("prompt").asText(),
                            c.get("text").asText(),
                            c.get("ids").size()))
                    .toList();
        }
    }

    private static String architecture(String model) {
        return model.startsWith("llama") ? "llama" : "gpt2";
    }

    private static TextToTextRequest request(String id, String model, String prompt, GenerationParameters parameters) {
        return TextToTextRequest.newBuilder()
                .setId(id)
                .setModel(model)
                .setPrompt(prompt)
                .setParameters(parameters)
                .build();
    }

    @Test
    void greedyTextMatchesPyTorchAloneAndBatchedAndSeededSamplingRepeats() throws Exception {
        Map<String, TextToTextRequest> requests = new LinkedHashMap<>();
        for (String base : MODELS) {
            for (String model : List.of(base, base + "-batched")) {
                List<Case> cases = expected(architecture(model));
                for (int i = 0; i < cases.size(); i++) {
                    String id = model + "/greedy/" + i;
                    requests.put(
                            id,
                            request(
                                    id,
                                    model,
                                    cases.get(i).prompt(),
                                    GenerationParameters.newBuilder()
                                            .setMaxNewTokens(12)
                                            .build()));
                }
                for (long seed : SEEDS) {
                    for (String copy : List.of("a", "b")) {
                        String id = model + "/seed" + seed + "/" + copy;
                        requests.put(
                                id,
                                request(
                                        id,
                                        model,
                                        "the",
                                        GenerationParameters.newBuilder()
                                                .setMaxNewTokens(10)
                                                .setTemperature(1.5f)
                                                .setSeed(seed)
                                                .build()));
                    }
                }
            }
        }

        Map<String, TextToTextResult> results = KafkaRoundTrip.run(
                Capability.TEXT_TO_TEXT,
                MANIFEST,
                TextToTextRequest.class,
                TextToTextResult.class,
                requests,
                Duration.ofSeconds(90));

        assertThat(results).containsOnlyKeys(requests.keySet());
        for (String base : MODELS) {
            for (String model : List.of(base, base + "-batched")) {
                List<Case> cases = expected(architecture(model));
                for (int i = 0; i < cases.size(); i++) {
                    TextToTextPayload p = ok(results.get(model + "/greedy/" + i));
                    assertThat(p.getText())
                            .as("%s on '%s'", model, cases.get(i).prompt())
                            .isEqualTo(cases.get(i).text());
                    assertThat(p.getGeneratedTokens()).isEqualTo(cases.get(i).tokens());
                    assertThat(p.getFinishReason()).isEqualTo(FinishReason.EOS);
                }
                for (long seed : SEEDS) {
                    String a = ok(results.get(model + "/seed" + seed + "/a")).getText();
                    assertThat(ok(results.get(model + "/seed" + seed + "/b")).getText())
                            .as("%s, seed %d", model, seed)
                            .isEqualTo(a);
                    assertThat(ok(results.get(base + "/seed" + seed + "/a")).getText())
                            .as("%s alone and batched, seed %d", base, seed)
                            .isEqualTo(a);
                }
            }
        }
    }

    private static TextToTextPayload ok(TextToTextResult result) {
        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        return result.getPayload();
    }
}
