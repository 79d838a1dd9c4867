package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One runner call with every prompt of expected.json on a PyTorch-exported decoder in batched mode, so they surely
 * share one left-padded prefill and the decode steps (through Kafka the pool decides how to cut batches): every
 * row's greedy text is PyTorch's, as rows leave the batch at their EOS one after the other.
 */
class ExportedDecoderBatchTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "gpt2/decoder_with_past_model.onnx, gpt2",
        "gpt2/decoder_model_merged.onnx,    gpt2",
        "llama/decoder_with_past_model.onnx, llama",
    })
    void onePaddedBatchOfAllPromptsGivesPyTorchsGreedyTextInEveryRow(String model, String architecture)
            throws Exception {
        List<ExportedDecoderKafkaTest.Case> cases = ExportedDecoderKafkaTest.expected(architecture);
        OrtRuntime runtime = OrtRuntime.shared();
        try (LmTokenizer tokenizer = LmTokenizer.load(
                        new ModelSource("classpath:exported/" + architecture + "/tokenizer.json"), "<eos>");
                CausalLmRunner runner = new CausalLmRunner(
                        runtime.environment(),
                        runtime.open(new ModelSource("classpath:exported/" + model), SessionSettings.singleThread()),
                        tokenizer,
                        new ShutdownGrace(() -> false, Duration.ofSeconds(1), System::nanoTime),
                        System::currentTimeMillis,
                        true)) {
            List<Generation> batch = new ArrayList<>();
            for (ExportedDecoderKafkaTest.Case c : cases) {
                batch.add(new Generation(
                        tokenizer.encode(c.prompt()),
                        12,
                        new SamplingSettings(0f, 0, 1f, 1f, 0L),
                        List.of(),
                        Long.MAX_VALUE));
            }

            List<GenerationOutcome> outcomes = runner.run(batch);

            for (int i = 0; i < cases.size(); i++) {
                assertThat(outcomes.get(i)).isInstanceOf(GenerationOutcome.Text.class);
                assertThat(((GenerationOutcome.Text) outcomes.get(i)).text())
                        .as(cases.get(i).prompt())
                        .isEqualTo(cases.get(i).text());
            }
        }
    }
}
