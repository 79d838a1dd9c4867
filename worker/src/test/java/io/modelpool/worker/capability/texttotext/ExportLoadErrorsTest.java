package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Exports users will try that the causal-lm family cannot run (variants of the PyTorch-exported GPT-2 written by
 * tools/pytorch_exports.py) fail at load, and their requests get MODEL_LOAD_FAILED with a one-line error that
 * names the model, the tensor and what is expected.
 */
class ExportLoadErrorsTest {

    private static PoolGroup registry;
    private static CapabilityService service;

    @BeforeAll
    static void open() {
        registry = CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:exported/load-errors.yaml"));
        service = registry.service(Capability.TEXT_TO_TEXT);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "fp16-cache        | past_key_values.0.key is float16    | expected float32",
                "external-data     | tensor 'model.wte.weight' is stored in the external file 'external-data.onnx.data'"
                        + " | expected every weight inside the .onnx file",
                "no-present        | output present.0.key is missing     | expected one present.N.key|value output",
                "no-past           | input past_key_values.0.key is missing | expected a decoder exported with its KV cache",
                "foreign-tokenizer | output logits has 62 entries per token but the tokenizer has 64 ids"
                        + " | expected at least 64",
            })
    void aModelTheFamilyCannotRunFailsAtLoadWithAOneLineErrorNamingTheTensor(
            String model, String tensor, String expected) throws Exception {
        TextToTextResult result = (TextToTextResult) service.handle(
                        TextToTextRequest.newBuilder()
                                .setId(model)
                                .setModel(model)
                                .setPrompt("the cat")
                                .setParameters(GenerationParameters.newBuilder()
                                        .setMaxNewTokens(3)
                                        .build())
                                .build(),
                        ToyLm.CONTEXT)
                .get(30, TimeUnit.SECONDS)
                .record();

        assertThat(result.getStatus()).isEqualTo(ResultStatus.ERROR);
        assertThat(result.getError().getCode()).isEqualTo(ErrorCode.MODEL_LOAD_FAILED);
        String message = result.getError().getMessage().toString();
        assertThat(message)
                .doesNotContain("\n")
                .contains("model '" + model + "'")
                .contains(tensor)
                .contains(expected);
        Map<String, ModelState> states = registry.awaitLoaded(Duration.ofSeconds(30));
        assertThat(states).containsEntry(model, ModelState.FAILED);
    }
}
