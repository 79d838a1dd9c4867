package io.modelpool.worker.capability.textembedding;

import static io.modelpool.worker.capability.textembedding.Embeddings.CONTEXT;
import static io.modelpool.worker.capability.textembedding.Embeddings.await;
import static io.modelpool.worker.capability.textembedding.Embeddings.cosine;
import static io.modelpool.worker.capability.textembedding.Embeddings.request;
import static io.modelpool.worker.capability.textembedding.Embeddings.vector;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelDefinition;
import io.modelpool.worker.pool.LoadObserver;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolMaintenance;
import io.modelpool.worker.runtime.ModelSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pool maintenance with real ONNX models: the quantised MiniLM from its Maven Central jar, copied to three files so
 * that three manifest keys load three models of a measured size.
 */
class PoolMaintenanceModelsTest {

    private static final String MODEL = "classpath:all-minilm-l6-v2-q.onnx";
    private static final String TOKENIZER = "classpath:all-minilm-l6-v2-q-tokenizer.json";
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private Path copyOfMiniLm(String name) throws IOException {
        Path file = dir.resolve(name);
        try (InputStream in = new ModelSource(MODEL).open()) {
            Files.copy(in, file);
        }
        return file;
    }

    private static String entry(String key, Path source, String extra) {
        return """
                  - key: %s
                    capability: text-embedding
                    family: encoder-embedding
                    source: file:%s
                    tokenizer: %s
                    parameters: {pooling: mean, normalize: true, max-sequence-length: 128}
                    batch: {queue-capacity: 512}
                %s""".formatted(key, source, TOKENIZER, extra);
    }

    private static PoolGroup registry(String entries) {
        return CapabilityRegistry.fromManifest(ManifestLoader.parse("models:\n" + entries, "maintenance-test"));
    }

    private static PoolMaintenance.Settings settings(long budgetBytes) {
        return PoolMaintenance.Settings.builder()
                .interval(Duration.ofMillis(20))
                .memoryBudgetBytes(budgetBytes)
                .scaleUpWait(Duration.ofMillis(20))
                .workerIdle(Duration.ofMillis(300))
                .loadRetryBackoff(Duration.ofMillis(500))
                .loadRetryMax(Duration.ofSeconds(2))
                .build();
    }

    @Test
    void threeModelsUnderABudgetThatFitsTwoAnswerAnAlternatingWorkloadCorrectlyWithinTheBudget() throws Exception {
        List<String> keys = List.of("mini-a", "mini-b", "mini-c");
        StringBuilder entries = new StringBuilder();
        for (String key : keys) {
            entries.append(entry(key, copyOfMiniLm(key + ".onnx"), "    workers: 1\n    idle-unload: 0s\n"));
        }
        long perModel = Math.round(Files.size(dir.resolve("mini-a.onnx")) * ModelDefinition.DEFAULT_SIZE_FACTOR);
        long budget = perModel * 5 / 2;
        List<String> events = new CopyOnWriteArrayList<>();
        AtomicLong mostUsed = new AtomicLong();
        try (PoolGroup registry = registry(entries.toString());
                PoolMaintenance maintenance = registry.startMaintenance(settings(budget), Duration.ZERO)) {
            ModelPool<?, ?> pool = registry.pool(Capability.TEXT_EMBEDDING);
            pool.observeLoads(
                    new Recorder(events, () -> mostUsed.accumulateAndGet(maintenance.budgetUsedBytes(), Math::max)));
            CapabilityService service = registry.service(Capability.TEXT_EMBEDDING);
            List<String> texts = Embeddings.sentences(keys.size() * 3);
            float[] reference = vector(await(service.handle(request("mini-a", List.of(texts.get(0))), CONTEXT)), 0);
            assertThat(pool.residentBytes("mini-a")).isEqualTo(perModel);
            assertThat(registry.awaitDrained(WAIT)).isTrue();

            // one at a time, alternating: every request names the model loaded longest ago
            List<float[]> alone = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                TextEmbeddingResult r =
                        await(service.handle(request(keys.get(i % keys.size()), List.of(texts.get(i))), CONTEXT));
                alone.add(vector(r, 0));
                assertThat(registry.awaitDrained(WAIT)).isTrue();
                assertThat(maintenance.budgetUsedBytes()).isLessThanOrEqualTo(budget);
            }
            assertThat(cosine(alone.get(0), reference)).isGreaterThan(0.9999);
            // a, b, then every later request loads its model in place of the one used longest ago
            assertThat(events.stream().filter(e -> e.startsWith("loaded")).count())
                    .isEqualTo(texts.size());
            assertThat(events)
                    .filteredOn(e -> e.startsWith("unloaded"))
                    .hasSize(texts.size() - 2)
                    .allMatch(e -> e.endsWith("MEMORY_BUDGET"));
            assertThat(events).noneMatch(e -> e.startsWith("failed"));

            // all at once, interleaved: loads wait for room while the loaded models are busy
            List<CompletableFuture<Outcome>> together = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                together.add(service.handle(request(keys.get(i % keys.size()), List.of(texts.get(i))), CONTEXT));
            }
            for (int i = 0; i < texts.size(); i++) {
                assertThat(cosine(vector(await(together.get(i)), 0), alone.get(i)))
                        .isGreaterThan(0.9999);
            }
            assertThat(mostUsed.get()).isLessThanOrEqualTo(budget);
            assertThat(maintenance.budgetUsedBytes()).isLessThanOrEqualTo(budget);
        }
    }

    @Test
    void workersScaleUpUnderABurstAndBackDownAfterIt() throws Exception {
        String entries = entry(
                "mini", copyOfMiniLm("mini.onnx"), "    workers: 1\n    min-workers: 1\n" + "    max-workers: 3\n");
        try (PoolGroup registry = registry(entries);
                PoolMaintenance maintenance = registry.startMaintenance(settings(Long.MAX_VALUE), Duration.ZERO)) {
            ModelPool<?, ?> pool = registry.pool(Capability.TEXT_EMBEDDING);
            CapabilityService service = registry.service(Capability.TEXT_EMBEDDING);
            assertThat(pool.awaitLoaded("mini", WAIT)).isEqualTo(ModelState.READY);
            assertThat(pool.workers("mini")).isEqualTo(1);
            AtomicInteger mostWorkers = new AtomicInteger(1);

            List<CompletableFuture<Outcome>> burst = new ArrayList<>();
            for (String text : Embeddings.sentences(400)) {
                burst.add(service.handle(request("mini", List.of(text)), CONTEXT));
            }
            await().atMost(WAIT)
                    .until(() -> mostWorkers.accumulateAndGet(pool.workers("mini"), Math::max) > 1
                            || burst.stream().allMatch(CompletableFuture::isDone));
            for (CompletableFuture<Outcome> f : burst) {
                assertThat(await(f).getStatus()).isEqualTo(ResultStatus.OK);
            }

            assertThat(mostWorkers.get()).isGreaterThan(1);
            await().atMost(WAIT).until(() -> pool.workers("mini") == 1);
            assertThat(pool.state("mini")).isEqualTo(ModelState.READY);
            assertThat(maintenance.budgetUsedBytes()).isEqualTo(pool.residentBytes("mini"));
        }
    }

    @Test
    void aMissingOrCorruptModelAnswersWithErrorResultsAndDoesNotStopTheOthers() throws Exception {
        Path corrupt = dir.resolve("corrupt.onnx");
        byte[] garbage = new byte[64 * 1024];
        new java.util.Random(11).nextBytes(garbage);
        Files.write(corrupt, garbage);
        String entries = entry("good", copyOfMiniLm("good.onnx"), "")
                + entry("missing", dir.resolve("no-such-model.onnx"), "")
                + entry("corrupt", corrupt, "");
        try (PoolGroup registry = registry(entries);
                PoolMaintenance ignored = registry.startMaintenance(settings(Long.MAX_VALUE), Duration.ZERO)) {
            CapabilityService service = registry.service(Capability.TEXT_EMBEDDING);
            List<CompletableFuture<Outcome>> good = new ArrayList<>();
            List<CompletableFuture<Outcome>> bad = new ArrayList<>();
            for (String text : Embeddings.sentences(20)) {
                good.add(service.handle(request("good", List.of(text)), CONTEXT));
                bad.add(service.handle(request("missing", List.of(text)), CONTEXT));
                bad.add(service.handle(request("corrupt", List.of(text)), CONTEXT));
            }

            for (CompletableFuture<Outcome> f : good) {
                assertThat(await(f).getStatus()).isEqualTo(ResultStatus.OK);
            }
            for (CompletableFuture<Outcome> f : bad) {
                TextEmbeddingResult r = await(f);
                assertThat(r.getStatus()).isEqualTo(ResultStatus.ERROR);
                assertThat(r.getError().getCode()).isEqualTo(ErrorCode.MODEL_LOAD_FAILED);
                assertThat(r.getError().getRetryable()).isTrue();
            }
            Map<String, ModelState> states = registry.awaitLoaded(WAIT);
            assertThat(states)
                    .containsEntry("good", ModelState.READY)
                    .containsEntry("missing", ModelState.FAILED)
                    .containsEntry("corrupt", ModelState.FAILED);
            assertThat(await(service.handle(request("missing", List.of("again")), CONTEXT))
                            .getError()
                            .getMessage())
                    .contains("no-such-model.onnx");
            assertThat(await(service.handle(request("good", List.of("still fine")), CONTEXT))
                            .getStatus())
                    .isEqualTo(ResultStatus.OK);
        }
    }

    @Test
    void warmUpLoadsTheNamedModelsBeforeAnyRequestAndAnUnknownKeyIsRefused() throws Exception {
        Path file = copyOfMiniLm("warm.onnx");
        try (PoolGroup registry = registry(entry("warm", file, "") + entry("cold", file, ""));
                PoolMaintenance ignored = registry.startMaintenance(settings(Long.MAX_VALUE), Duration.ZERO)) {
            ModelPool<?, ?> pool = registry.pool(Capability.TEXT_EMBEDDING);

            registry.warmUp(List.of("warm"));

            await().atMost(WAIT).until(() -> pool.state("warm") == ModelState.READY);
            assertThat(pool.state("cold")).isEqualTo(ModelState.UNLOADED);
            assertThatThrownBy(() -> registry.warmUp(List.of("nope")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("warm-up model 'nope' is not in the manifest");
        }
    }

    /** Records load events and samples the budget at each. */
    private record Recorder(List<String> events, Runnable sample) implements LoadObserver {
        @Override
        public void loaded(String model, long loadNanos) {
            sample.run();
            events.add("loaded " + model);
        }

        @Override
        public void loadFailed(String model, String reason, long loadNanos) {
            events.add("failed " + model + ": " + reason);
        }

        @Override
        public void unloaded(String model, UnloadReason reason) {
            sample.run();
            events.add("unloaded " + model + ": " + reason);
        }
    }
}
