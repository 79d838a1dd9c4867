package io.modelpool.worker.capability.texttotext;

import static io.modelpool.worker.capability.texttotext.ToyLm.CONTEXT;
import static io.modelpool.worker.capability.texttotext.ToyLm.generate;
import static io.modelpool.worker.capability.texttotext.ToyLm.greedy;
import static io.modelpool.worker.capability.texttotext.ToyLm.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.FinishReason;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextToTextPayload;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.AbandonedAtShutdownException;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.ShutdownGrace;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The causal-lm family's decode loop on the toy model of tools/toy_causal_lm.py, whose next token is a fixed
 * function of the last one (the -> cat -> sat -> on -> the, and -> dog -> ran -> away -> far -> mat -> EOS) and
 * which emits {@code <unk>} whenever the KV cache, the attention mask or the positions it is fed disagree.
 */
class CausalLmGenerationTest {

    private static PoolGroup registry;
    private static CapabilityService service;

    @BeforeAll
    static void open() {
        registry = ToyLm.registry();
        service = ToyLm.service(registry);
    }

    @AfterAll
    static void close() {
        registry.close();
    }

    private static TextToTextPayload ok(TextToTextResult result) {
        assertThat(result.getStatus()).as("%s", result.getError()).isEqualTo(ResultStatus.OK);
        return result.getPayload();
    }

    @Test
    void greedyGenerationFollowsTheModelAndEndsAtTheTokenizersEos() throws Exception {
        TextToTextPayload p = ok(generate(service, request("dog", greedy(10))));

        assertThat(p.getText()).isEqualTo("ran away far mat");
        assertThat(p.getFinishReason()).isEqualTo(FinishReason.EOS);
        assertThat(p.getPromptTokens()).isEqualTo(1);
        assertThat(p.getGeneratedTokens()).isEqualTo(4);
        assertThat(p.getTruncated()).isFalse();
    }

    @Test
    void aMultiTokenPromptIsPrefilledAndContinuedFromItsLastTokenThroughTheCache() throws Exception {
        TextToTextPayload p = ok(generate(service, request("The cat AND", greedy(10))));

        assertThat(p.getText()).isEqualTo("dog ran away far mat");
        assertThat(p.getPromptTokens()).isEqualTo(3);
        assertThat(p.getFinishReason()).isEqualTo(FinishReason.EOS);
    }

    @Test
    void generationStopsAfterMaxNewTokensWithEveryDecodeStepUsingTheGrowingCache() throws Exception {
        TextToTextPayload p = ok(generate(service, request("the", greedy(9))));

        assertThat(p.getText()).isEqualTo("cat sat on the cat sat on the cat");
        assertThat(p.getGeneratedTokens()).isEqualTo(9);
        assertThat(p.getFinishReason()).isEqualTo(FinishReason.MAX_TOKENS);
        assertThat(p.getTruncated()).isFalse();
    }

    @Test
    void aStopStringEndsGenerationAndIsLeftOutOfTheText() throws Exception {
        TextToTextPayload p =
                ok(generate(service, request("the", greedy(50).setStopStrings(List.of("never", "on the")))));

        assertThat(p.getText()).isEqualTo("cat sat ");
        assertThat(p.getFinishReason()).isEqualTo(FinishReason.STOP_STRING);
        assertThat(p.getGeneratedTokens()).isEqualTo(4);
    }

    @Test
    void repetitionPenaltyTurnsGenerationAwayFromTokensAlreadyPresent() throws Exception {
        // after "on" the favourite "the" (logit 2, already in the prompt) drops to 2/3, below the runner-up "mat"
        TextToTextPayload p = ok(generate(service, request("the", greedy(20).setRepetitionPenalty(3f))));

        assertThat(p.getText()).isEqualTo("cat sat on mat");
        assertThat(p.getFinishReason()).isEqualTo(FinishReason.EOS);
    }

    @Test
    void samplingWithTheSameSeedGivesTheSameTextAndDifferentSeedsGiveDifferentTexts() throws Exception {
        String first = ok(generate(
                        service, request("the", greedy(12).setTemperature(1f).setSeed(42L))))
                .getText();
        String again = ok(generate(
                        service, request("the", greedy(12).setTemperature(1f).setSeed(42L))))
                .getText();
        Set<String> texts = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            texts.add(ok(generate(
                            service,
                            request("the", greedy(12).setTemperature(1f).setSeed(seed))))
                    .getText());
        }

        assertThat(again).isEqualTo(first);
        assertThat(texts).hasSizeGreaterThan(10);
        assertThat(texts).allSatisfy(t -> assertThat(t).doesNotContain("<unk>"));
    }

    @Test
    void topKOfOneSamplesExactlyTheGreedyText() throws Exception {
        String sampled = ok(generate(
                        service,
                        request("and", greedy(8).setTemperature(2f).setTopK(1).setSeed(7L))))
                .getText();

        assertThat(sampled).isEqualTo("dog ran away far mat");
    }

    @Test
    void aSmallTopPKeepsOnlyTheMostLikelyToken() throws Exception {
        String sampled = ok(generate(
                        service,
                        request(
                                "the",
                                greedy(5).setTemperature(1f).setTopP(0.1f).setSeed(3L))))
                .getText();

        assertThat(sampled).isEqualTo("cat sat on the cat");
    }

    @Test
    void aGenerationThatPassesItsDeadlineEndsWithTheTextSoFarMarkedTruncated() throws Exception {
        TextToTextPayload p = ok(generate(
                service, request("the", greedy(1_000_000), Instant.now().plusMillis(300))));

        assertThat(p.getFinishReason()).isEqualTo(FinishReason.DEADLINE);
        assertThat(p.getTruncated()).isTrue();
        assertThat(p.getGeneratedTokens()).isPositive().isLessThan(1_000_000);
        assertThat(p.getText()).startsWith("cat sat on the cat").doesNotContain("<unk>");
    }

    @Test
    void requestsOutsideTheBoundsAreRefusedWithTheirCode() throws Exception {
        assertThat(generate(service, request("the", greedy(5), Instant.now().minusSeconds(1)))
                        .getError()
                        .getCode())
                .isEqualTo(ErrorCode.EXPIRED);
        assertThat(generate(service, request("", greedy(5))).getError().getCode())
                .isEqualTo(ErrorCode.EMPTY_INPUT);
        assertThat(generate(service, request("the", greedy(1_000_001)))
                        .getError()
                        .getCode())
                .isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(generate(service, request("the ".repeat(65), greedy(5)))
                        .getError()
                        .getCode())
                .isEqualTo(ErrorCode.INPUT_TOO_LARGE);
        assertThat(generate(service, request("the", greedy(5).setTopP(0f)))
                        .getError()
                        .getCode())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(generate(service, request("the", greedy(0))).getError().getCode())
                .isEqualTo(ErrorCode.INVALID_REQUEST);
    }

    @Test
    void theShutdownGraceLetsWorkRunOnForItsLengthFromTheFirstLookAfterShutdownBegan() {
        AtomicBoolean shuttingDown = new AtomicBoolean();
        AtomicLong clock = new AtomicLong(0);
        ShutdownGrace grace = new ShutdownGrace(shuttingDown::get, Duration.ofSeconds(1), clock::get);

        clock.set(Duration.ofSeconds(30).toNanos());
        assertThat(grace.expired()).as("before shutdown").isFalse();
        shuttingDown.set(true);
        assertThat(grace.expired()).as("first look after shutdown began").isFalse();
        clock.addAndGet(Duration.ofMillis(999).toNanos());
        assertThat(grace.expired()).as("just inside the grace").isFalse();
        clock.addAndGet(Duration.ofMillis(1).toNanos());
        assertThat(grace.expired()).as("at the grace").isTrue();
    }

    @Test
    void stopStringCutIsAtTheEarliestOccurrenceOfAnyStopString() {
        assertThat(CausalLmRunner.cutAtStop("cat sat on the mat", List.of("mat", "sat")))
                .isEqualTo("cat ");
        assertThat(CausalLmRunner.cutAtStop("cat sat", List.of("dog"))).isNull();
    }

    @Test
    void aShutdownCutsALongGenerationAtTheGraceWithinTheDrainAndAbandonsItUnanswered() throws Exception {
        PoolGroup own = ToyLm.registry();
        CapabilityService ownService = ToyLm.service(own);
        try {
            CompletableFuture<Outcome> running = ownService.handle(request("the", greedy(1_000_000)), CONTEXT);
            own.beginShutdown();
            boolean drained = own.awaitDrained(Duration.ofSeconds(5));

            assertThat(drained).as("the generation ended inside the drain").isTrue();
            assertThat(running)
                    .as("no truncated text answers it: the partition's next owner runs it whole")
                    .failsWithin(Duration.ofSeconds(5))
                    .withThrowableOfType(ExecutionException.class)
                    .withCauseInstanceOf(AbandonedAtShutdownException.class)
                    .withMessageContaining("cut at the shutdown grace");
        } finally {
            own.close();
        }
    }
}
