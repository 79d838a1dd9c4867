package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OrtSession;
import io.modelpool.v1.Capability;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.AbandonedAtShutdownException;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batched generation (prefill of left-padded prompts, shared decode steps, ended sequences leaving) on the
 * padded toy LM of tools/toy_causal_lm.py. That toy emits {@code <unk>} when the cache, mask or positions of
 * a row disagree counting only the rows its mask keeps, and repeats "the" when a sequence's own cache holds
 * exactly three of them, so a batch that leaks padding or mixes rows of different sequences generates
 * something else than the same prompt alone.
 */
class CausalLmBatchingTest {

    private static final OrtRuntime RUNTIME = OrtRuntime.shared();
    private static LmTokenizer tokenizer;

    @BeforeAll
    static void loadTokenizer() throws Exception {
        tokenizer = LmTokenizer.load(new ModelSource("classpath:texttotext/toy-lm-tokenizer.json"), "<eos>");
    }

    @AfterAll
    static void closeTokenizer() {
        tokenizer.close();
    }

    private static CausalLmRunner runner(boolean batched, ShutdownGrace grace, LongSupplier clock) throws Exception {
        OrtSession session = RUNTIME.open(
                new ModelSource("classpath:texttotext/toy-lm-padded.onnx"), SessionSettings.singleThread());
        return new CausalLmRunner(RUNTIME.environment(), session, tokenizer, grace, clock, batched);
    }

    private static ShutdownGrace noShutdown() {
        return new ShutdownGrace(() -> false, Duration.ofSeconds(1), System::nanoTime);
    }

    private static Generation generation(
            String prompt, int maxNewTokens, SamplingSettings sampling, List<String> stops) {
        return new Generation(tokenizer.encode(prompt), maxNewTokens, sampling, stops, Long.MAX_VALUE);
    }

    private static SamplingSettings greedy() {
        return new SamplingSettings(0f, 0, 1f, 1f, 0L);
    }

    private static SamplingSettings sampled(long seed) {
        return new SamplingSettings(1f, 0, 1f, 1f, seed);
    }

    /** Each generation run alone, on a runner that never batches. */
    private static List<GenerationOutcome> alone(List<Generation> generations) throws Exception {
        try (CausalLmRunner single = runner(false, noShutdown(), System::currentTimeMillis)) {
            List<GenerationOutcome> out = new ArrayList<>();
            for (Generation g : generations) {
                out.addAll(single.run(List.of(g)));
            }
            return out;
        }
    }

    private static List<GenerationOutcome> together(List<Generation> generations) throws Exception {
        try (CausalLmRunner batched = runner(true, noShutdown(), System::currentTimeMillis)) {
            return batched.run(generations);
        }
    }

    private static GenerationOutcome.Text text(GenerationOutcome outcome) {
        assertThat(outcome).isInstanceOf(GenerationOutcome.Text.class);
        return (GenerationOutcome.Text) outcome;
    }

    @Test
    void thePaddedToyRepeatsTheThirdTheOfASequencesOwnCache() throws Exception {
        GenerationOutcome.Text alone =
                text(alone(List.of(generation("the", 12, greedy(), List.of()))).get(0));

        assertThat(alone.text()).isEqualTo("cat sat on the cat sat on the the cat sat on");
        assertThat(alone.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);
    }

    @Test
    void greedyPromptsOfDifferentLengthsGenerateTogetherExactlyAsEachDoesAlone() throws Exception {
        List<Generation> prompts = List.of(
                generation("dog", 20, greedy(), List.of()),
                generation("the cat AND", 20, greedy(), List.of()),
                generation("the", 12, greedy(), List.of()),
                generation("on the mat the cat sat on", 12, greedy(), List.of()),
                generation("far", 20, greedy(), List.of()),
                generation("sat", 7, greedy(), List.of()));

        List<GenerationOutcome> together = together(prompts);

        assertThat(together).containsExactlyElementsOf(alone(prompts));
        assertThat(together)
                .extracting(o -> text(o).text())
                .containsExactly(
                        "ran away far mat",
                        "dog ran away far mat",
                        "cat sat on the cat sat on the the cat sat on",
                        "the the cat sat on the cat sat on the cat sat",
                        "mat",
                        "on the cat sat on the cat");
        assertThat(together).allSatisfy(o -> assertThat(text(o).text()).doesNotContain("<unk>"));
    }

    @Test
    void seededSamplingInABatchDrawsTheSameTokensAsAlone() throws Exception {
        List<Generation> prompts = new ArrayList<>();
        String[] texts = {"the", "dog ran", "and the cat", "on", "far away the mat on"};
        for (int i = 0; i < 16; i++) {
            prompts.add(generation(texts[i % texts.length], 12 + i, sampled(1000 + i), List.of()));
        }

        List<GenerationOutcome> together = together(prompts);

        assertThat(together).containsExactlyElementsOf(alone(prompts));
        assertThat(together).allSatisfy(o -> assertThat(text(o).text()).doesNotContain("<unk>"));
    }

    @Test
    void sequencesThatEndEarlyLeaveTheBatchAndTheOthersContinueUnchanged() throws Exception {
        // the longest prompt ends first, so the cache drops its padding columns; the others end one by one
        List<Generation> prompts = List.of(
                generation("and dog ran away far mat the cat sat", 1, greedy(), List.of()),
                generation("the", 9, sampled(5), List.of()),
                generation("dog", 20, greedy(), List.of("far")),
                generation("cat sat", 3, greedy(), List.of()),
                generation("and", 40, sampled(9), List.of()),
                generation("the", 100, new SamplingSettings(0f, 0, 1f, 3f, 0L), List.of()));

        List<GenerationOutcome> together = together(prompts);

        assertThat(together).containsExactlyElementsOf(alone(prompts));
        assertThat(together)
                .extracting(o -> text(o).finishReason())
                .contains(FinishReason.MAX_TOKENS, FinishReason.STOP_STRING, FinishReason.EOS);
        assertThat(text(together.get(2)).text()).isEqualTo("ran away ");
        assertThat(text(together.get(5)).text()).isEqualTo("cat sat on mat");
    }

    @Test
    void anExpiredGenerationInABatchIsAnsweredExpiredAndTheOthersRun() throws Exception {
        Generation expired = new Generation(tokenizer.encode("the"), 5, greedy(), List.of(), 1L);
        List<Generation> prompts = List.of(
                generation("dog", 10, greedy(), List.of()), expired, generation("the cat", 10, greedy(), List.of()));

        List<GenerationOutcome> together = together(prompts);

        assertThat(together.get(1)).isEqualTo(new GenerationOutcome.Expired(1L));
        assertThat(text(together.get(0)).text()).isEqualTo("ran away far mat");
        assertThat(text(together.get(2)).text()).isEqualTo("sat on the cat sat on the the cat sat");
    }

    @Test
    void aDeadlineEndsItsOwnSequenceTruncatedWhileTheRestOfTheBatchGoesOn() throws Exception {
        AtomicLong now = new AtomicLong(1_000);
        LongSupplier clock = () -> now.getAndIncrement();
        Generation hurried = new Generation(tokenizer.encode("the"), 1_000_000, greedy(), List.of(), 1_003L);
        Generation patient = new Generation(tokenizer.encode("dog"), 20, greedy(), List.of(), Long.MAX_VALUE);
        List<GenerationOutcome> together;
        try (CausalLmRunner batched = runner(true, noShutdown(), clock)) {
            together = batched.run(List.of(hurried, patient));
        }

        assertThat(text(together.get(0)).finishReason()).isEqualTo(FinishReason.DEADLINE);
        assertThat(text(together.get(0)).truncated()).isTrue();
        assertThat(text(together.get(0)).text()).isEqualTo("cat sat on the");
        assertThat(text(together.get(1)).text()).isEqualTo("ran away far mat");
        assertThat(text(together.get(1)).finishReason()).isEqualTo(FinishReason.EOS);
    }

    @Test
    void aShutdownPastTheGraceEndsEverySequenceOfTheBatchTruncated() throws Exception {
        AtomicBoolean shuttingDown = new AtomicBoolean(true);
        ShutdownGrace grace = new ShutdownGrace(shuttingDown::get, Duration.ZERO, System::nanoTime);
        List<GenerationOutcome> together;
        try (CausalLmRunner batched = runner(true, grace, System::currentTimeMillis)) {
            together = batched.run(List.of(
                    generation("the", 1_000_000, greedy(), List.of()),
                    generation("and dog", 1_000_000, greedy(), List.of())));
        }

        assertThat(together).allSatisfy(o -> {
            assertThat(text(o).finishReason()).isEqualTo(FinishReason.SHUTDOWN);
            assertThat(text(o).truncated()).isTrue();
            assertThat(text(o).generatedTokens()).isEqualTo(1);
        });
    }

    private static final String BATCHED_MODEL = "toy-lm-batched";

    private static PoolGroup batchedRegistry() {
        PoolGroup registry =
                CapabilityRegistry.fromManifest(ManifestLoader.load("classpath:texttotext/toy-lm-batched.yaml"));
        assertThat(registry.awaitLoaded(Duration.ofSeconds(30))).containsEntry(BATCHED_MODEL, ModelState.READY);
        return registry;
    }

    private static TextToTextRequest batchedRequest(String prompt, GenerationParameters.Builder parameters) {
        return TextToTextRequest.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setModel(BATCHED_MODEL)
                .setPrompt(prompt)
                .setParameters(parameters.build())
                .build();
    }

    private static TextToTextPayload ok(TextToTextResult result) {
        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        return result.getPayload();
    }

    @Test
    void requestsQueuedTogetherForABatchInvariantFalseModelRunAsOneBatchAndGetTheirOwnTexts() throws Exception {
        PoolGroup registry = batchedRegistry();
        try {
            List<Integer> batchSizes = new CopyOnWriteArrayList<>();
            registry.pool(Capability.TEXT_TO_TEXT)
                    .observeBatches((model, size, tokens, runNanos, failed) -> batchSizes.add(size));
            CapabilityService service = registry.service(Capability.TEXT_TO_TEXT);
            List<String> prompts =
                    List.of("dog", "the cat AND", "the", "far", "on the mat the cat sat on", "sat", "cat", "and");
            List<CompletableFuture<Outcome>> futures = new ArrayList<>();
            for (String prompt : prompts) {
                futures.add(service.handle(batchedRequest(prompt, ToyLm.greedy(7)), ToyLm.CONTEXT));
            }
            List<String> texts = new ArrayList<>();
            for (CompletableFuture<Outcome> f : futures) {
                texts.add(ok(ToyLm.await(f)).getText());
            }

            assertThat(batchSizes).containsExactly(8);
            assertThat(texts)
                    .containsExactly(
                            "ran away far mat",
                            "dog ran away far mat",
                            "cat sat on the cat sat on",
                            "mat",
                            "the the cat sat on the cat",
                            "on the cat sat on the cat",
                            "sat on the cat sat on the",
                            "dog ran away far mat");
        } finally {
            registry.close();
        }
    }

    @Test
    void aShutdownCutsLongBatchedGenerationsAtTheGraceWithinTheDrainAndAbandonsThem() throws Exception {
        PoolGroup registry = batchedRegistry();
        try {
            CapabilityService service = registry.service(Capability.TEXT_TO_TEXT);
            List<CompletableFuture<Outcome>> running = new ArrayList<>();
            for (String prompt : List.of("the", "cat", "sat on the cat")) {
                running.add(service.handle(batchedRequest(prompt, ToyLm.greedy(1_000_000)), ToyLm.CONTEXT));
            }
            registry.beginShutdown();
            boolean drained = registry.awaitDrained(Duration.ofSeconds(5));

            assertThat(drained).as("the generations ended inside the drain").isTrue();
            assertThat(running)
                    .allSatisfy(f -> assertThat(f)
                            .as("abandoned, not answered with a truncated text")
                            .failsWithin(Duration.ofSeconds(5))
                            .withThrowableOfType(ExecutionException.class)
                            .withCauseInstanceOf(AbandonedAtShutdownException.class));
        } finally {
            registry.close();
        }
    }

    @Test
    void aShortGenerationBatchedWithALongOneIsAnsweredWhenItEndsNotWhenTheBatchDoes() throws Exception {
        PoolGroup registry = batchedRegistry();
        try {
            List<Integer> batchSizes = new CopyOnWriteArrayList<>();
            registry.pool(Capability.TEXT_TO_TEXT)
                    .observeBatches((model, size, tokens, runNanos, failed) -> batchSizes.add(size));
            CapabilityService service = registry.service(Capability.TEXT_TO_TEXT);
            CompletableFuture<Outcome> endless =
                    service.handle(batchedRequest("the", ToyLm.greedy(1_000_000)), ToyLm.CONTEXT);
            CompletableFuture<Outcome> brief = service.handle(batchedRequest("dog", ToyLm.greedy(10)), ToyLm.CONTEXT);

            TextToTextPayload answered = ok(ToyLm.await(brief));

            assertThat(answered.getText()).isEqualTo("ran away far mat");
            assertThat(answered.getFinishReason()).isEqualTo(FinishReason.EOS);
            assertThat(endless)
                    .as("the long generation of the same batch still runs")
                    .isNotDone();
            registry.beginShutdown();
            assertThat(registry.awaitDrained(Duration.ofSeconds(5))).isTrue();
            assertThat(endless)
                    .as("the long one is abandoned at the grace, unanswered")
                    .failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(AbandonedAtShutdownException.class);
            assertThat(batchSizes).containsExactly(2);
        } finally {
            registry.close();
        }
    }
}
