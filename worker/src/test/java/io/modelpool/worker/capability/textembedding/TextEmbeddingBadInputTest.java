package io.modelpool.worker.capability.textembedding;

import static io.modelpool.worker.capability.textembedding.Embeddings.CONTEXT;
import static io.modelpool.worker.capability.textembedding.Embeddings.call;
import static io.modelpool.worker.capability.textembedding.Embeddings.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bad input gets a clear typed error (or a truncated-and-flagged embedding) and never harms other work. */
class TextEmbeddingBadInputTest {

    private static final String MINI = "mini";
    private static final String MANIFEST = """
            limits: {max-inputs-per-request: 8, max-input-bytes: 65536}
            models:
              - key: mini
                capability: text-embedding
                family: encoder-embedding
                source: classpath:all-minilm-l6-v2-q.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
                parameters: {pooling: mean, normalize: true, max-sequence-length: 128}
                batch: {queue-capacity: 16}
              - key: broken
                capability: text-embedding
                family: encoder-embedding
                source: classpath:no-such-model.onnx
                tokenizer: classpath:all-minilm-l6-v2-q-tokenizer.json
              - key: no-tokenizer
                capability: text-embedding
                family: encoder-embedding
                source: classpath:all-minilm-l6-v2-q.onnx
                tokenizer: file:/no/such/tokenizer.json
            """;

    private static PoolGroup registry;
    private static CapabilityService service;

    @BeforeAll
    static void start() {
        registry = CapabilityRegistry.fromManifest(ManifestLoader.parse(MANIFEST, "bad-input-test"));
        registry.awaitLoaded(Duration.ofSeconds(60));
        service = registry.service(Capability.TEXT_EMBEDDING);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    private static void assertError(TextEmbeddingResult r, ErrorCode code, String messagePart, boolean retryable) {
        assertThat(r.getStatus()).isEqualTo(ResultStatus.ERROR);
        assertThat(r.getPayload()).isNull();
        assertThat(r.getError().getCode()).isEqualTo(code);
        assertThat(r.getError().getMessage()).contains(messagePart);
        assertThat(r.getError().getRetryable()).isEqualTo(retryable);
    }

    @Test
    void anEmptyTextListIsEmptyInput() throws Exception {
        assertError(call(service, request(MINI, List.of())), ErrorCode.EMPTY_INPUT, "no texts", false);
    }

    @Test
    void anEmptyStringIsEmptyInputNamingItsIndex() throws Exception {
        assertError(
                call(service, request(MINI, List.of("fine", ""))), ErrorCode.EMPTY_INPUT, "texts[1] is empty", false);
    }

    @Test
    void aOneMegabyteTextIsInputTooLargeWithoutBeingTokenised() throws Exception {
        String huge = "a".repeat(1 << 20);

        assertError(
                call(service, request(MINI, List.of(huge))),
                ErrorCode.INPUT_TOO_LARGE,
                "texts[0] is too large: more than 65536 UTF-8 bytes",
                false);
    }

    @Test
    void aLongTextUnderTheByteCapIsTruncatedAtTheManifestLengthAndFlagged() throws Exception {
        String longText = String.join(" ", Collections.nCopies(6_000, "lorem"));

        TextEmbeddingResult r = call(service, request(MINI, List.of(longText)));

        assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
        assertThat(r.getPayload().getEmbeddings().get(0).getTruncated()).isTrue();
        assertThat(r.getPayload().getEmbeddings().get(0).getTokens()).isEqualTo(128);
    }

    @Test
    void multiByteTextIsCountedInUtf8Bytes() throws Exception {
        String threeBytesEach = "€".repeat(30_000); // 90,000 UTF-8 bytes in 30,000 chars

        assertError(
                call(service, request(MINI, List.of(threeBytesEach))),
                ErrorCode.INPUT_TOO_LARGE,
                "more than 65536 UTF-8 bytes",
                false);
    }

    @Test
    void unpairedSurrogatesAreInvalidRequestsNamingThePosition() throws Exception {
        assertError(
                call(service, request(MINI, List.of("ok", "bad \uD800 high"))),
                ErrorCode.INVALID_REQUEST,
                "texts[1] has an unpaired UTF-16 high surrogate at char 4",
                false);
        assertError(
                call(service, request(MINI, List.of("bad \uDC00 low"))),
                ErrorCode.INVALID_REQUEST,
                "unpaired UTF-16 low surrogate",
                false);
        // a proper pair is fine
        assertThat(call(service, request(MINI, List.of("emoji \uD83D\uDE42 ok")))
                        .getStatus())
                .isEqualTo(ResultStatus.OK);
    }

    @Test
    void anUnknownModelKeyIsUnknownModelListingWhatIsServed() throws Exception {
        assertError(call(service, request("gpt-17", List.of("hello"))), ErrorCode.UNKNOWN_MODEL, "gpt-17", false);
    }

    @Test
    void tooManyTextsInOneRequestIsInputTooLarge() throws Exception {
        List<String> nine = Collections.nCopies(9, "text");

        assertError(call(service, request(MINI, nine)), ErrorCode.INPUT_TOO_LARGE, "at most 8", false);
    }

    @Test
    void aRequestPastItsDeadlineIsExpiredWithoutInference() throws Exception {
        TextEmbeddingRequest late = request(MINI, List.of("too late"));
        late.setDeadline(Instant.now().minusSeconds(5));

        assertError(call(service, late), ErrorCode.EXPIRED, "deadline", false);
    }

    @Test
    void aModelThatCannotLoadAnswersModelLoadFailedRetryable() throws Exception {
        assertError(
                call(service, request("broken", List.of("hello"))),
                ErrorCode.MODEL_LOAD_FAILED,
                "no-such-model.onnx",
                true);
        assertError(
                call(service, request("no-tokenizer", List.of("hello"))),
                ErrorCode.MODEL_LOAD_FAILED,
                "tokenizer",
                true);
    }

    @Test
    void badRequestsMixedWithGoodOnesNeverHarmTheGoodOnes() throws Exception {
        List<CompletableFuture<Outcome>> good = new ArrayList<>();
        List<CompletableFuture<Outcome>> bad = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            good.add(service.handle(request(MINI, List.of("good text number " + i)), CONTEXT));
            bad.add(service.handle(request(MINI, List.of("x", "\uD800")), CONTEXT));
        }

        assertThat(good)
                .allSatisfy(f -> assertThat(Embeddings.await(f).getStatus()).isEqualTo(ResultStatus.OK));
        assertThat(bad)
                .allSatisfy(f -> assertThat(Embeddings.await(f).getStatus()).isEqualTo(ResultStatus.ERROR));
    }

    @Test
    void aFullQueueThrowsOverloadedSynchronouslyAndSubmitsNothingOfThatRequest() {
        List<String> eight = Collections.nCopies(8, "a sentence that takes a little while to embed, repeated");
        List<CompletableFuture<Outcome>> accepted = new ArrayList<>();
        PoolRejectedException rejected = null;
        for (int i = 0; i < 10_000 && rejected == null; i++) {
            try {
                accepted.add(service.handle(request(MINI, eight), CONTEXT));
            } catch (PoolRejectedException e) {
                rejected = e;
            }
        }

        assertThat(rejected).isNotNull();
        assertThat(rejected.error()).isInstanceOf(PoolError.Overloaded.class);
        assertThat(registry.pending()).isLessThanOrEqualTo(16 + 2 * 8);
        assertThat(registry.awaitDrained(Duration.ofSeconds(60))).isTrue();
        assertThat(accepted)
                .allSatisfy(f -> assertThat(Embeddings.await(f).getStatus()).isEqualTo(ResultStatus.OK));
    }

    @Test
    void errorResultBuildsAnErrorForTheIntakesOwnFailures() {
        TextEmbeddingRequest req = request(MINI, List.of("x"));

        TextEmbeddingResult r =
                (TextEmbeddingResult) service.errorResult(req, ErrorCode.INVALID_REQUEST, "bad header", false, CONTEXT)
                        .record();

        assertThat(r.getRequestId()).isEqualTo(req.getId());
        assertThat(r.getWorkerId()).isEqualTo("test-worker");
        assertError(r, ErrorCode.INVALID_REQUEST, "bad header", false);
    }

    @Test
    void aManifestNamingAnUnservedFamilyOrBadParametersStopsStartUpNamingTheKey() {
        ModelManifest base = ManifestLoader.parse(MANIFEST, "t");
        var mini = base.model(MINI).orElseThrow();
        var wrongFamily = new io.modelpool.worker.manifest.ModelDefinition(
                "odd",
                "text-embedding",
                "decoder-lm",
                mini.source(),
                mini.tokenizer(),
                true,
                mini.parameters(),
                mini.batch(),
                1,
                mini.session());
        var badPooling = new io.modelpool.worker.manifest.ModelDefinition(
                "pooly",
                "text-embedding",
                "encoder-embedding",
                mini.source(),
                mini.tokenizer(),
                true,
                java.util.Map.of("pooling", "max"),
                mini.batch(),
                1,
                mini.session());
        var otherCapability = new io.modelpool.worker.manifest.ModelDefinition(
                "ocr", "vision", "ppocr", mini.source(), null, true, null, mini.batch(), 1, mini.session());

        assertThatThrownBy(() -> CapabilityRegistry.fromManifest(
                        new ModelManifest(base.limits(), List.of(wrongFamily, badPooling, otherCapability))))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining("model 'odd': family = 'decoder-lm' is invalid for capability 'text-embedding';"
                        + " allowed: encoder-embedding")
                .hasMessageContaining("model 'pooly': parameters.pooling = 'max' is invalid; allowed: mean|cls")
                .hasMessageContaining(
                        "model 'ocr': family = 'ppocr' is invalid for capability 'vision'; allowed: pp-ocr");
    }

    @Test
    void afterShutdownBeginsHandleThrowsShuttingDownAndQueuedRequestsStillFinish() throws Exception {
        ModelManifest own = ManifestLoader.parse(MANIFEST.substring(0, MANIFEST.indexOf("  - key: broken")), "t");
        try (PoolGroup mine = CapabilityRegistry.fromManifest(own)) {
            CapabilityService s = mine.service(Capability.TEXT_EMBEDDING);
            CompletableFuture<Outcome> queued = s.handle(request(MINI, List.of("queued before shutdown")), CONTEXT);

            mine.beginShutdown();

            assertThatThrownBy(() -> s.handle(request(MINI, List.of("late")), CONTEXT))
                    .isInstanceOfSatisfying(
                            PoolRejectedException.class,
                            e -> assertThat(e.error()).isEqualTo(new PoolError.ShuttingDown(MINI)));
            assertThat(mine.awaitDrained(Duration.ofSeconds(60))).isTrue();
            assertThat(Embeddings.await(queued).getStatus()).isEqualTo(ResultStatus.OK);
            assertThat(mine.abandon()).isZero();
        }
    }
}
