package io.modelpool.worker.capability.textembedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ai.onnxruntime.OrtException;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.PoolModelConfig;
import io.modelpool.worker.pool.TaskListener;
import io.modelpool.worker.pool.TaskTiming;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A closing pool stops a real ONNX Runtime run it gave up on, through the runner's {@code RunOptions}, instead of
 * waiting for it: the MiniLM encoder from the langchain4j jar, on a batch of maximum-length texts that takes many
 * seconds on one thread.
 */
class RunTerminationTest {

    private static final ModelSource MINILM = new ModelSource("classpath:all-minilm-l6-v2-q.onnx");
    private static final EncoderEmbeddingParameters MEAN =
            new EncoderEmbeddingParameters(Pooling.MEAN, true, 512, "", "", false);

    /** Texts of 512 tokens each (the encoder's longest): a run of 16 takes seconds on one thread. */
    private static List<EncodedText> longTexts(int count) {
        long[] ids = new long[512];
        Arrays.fill(ids, 2023L);
        ids[0] = 101L;
        ids[511] = 102L;
        List<EncodedText> texts = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            texts.add(new EncodedText(ids.clone(), false, Long.MAX_VALUE));
        }
        return texts;
    }

    private static EncoderEmbeddingRunner openRunner() throws Exception {
        OrtRuntime rt = OrtRuntime.shared();
        return new EncoderEmbeddingRunner(
                rt.environment(), rt.open(MINILM, SessionSettings.singleThread()), MEAN, System::currentTimeMillis);
    }

    private static boolean insideNativeRun(Thread thread) {
        return Arrays.stream(thread.getStackTrace())
                .anyMatch(f -> f.getClassName().equals("ai.onnxruntime.OrtSession")
                        && f.getMethodName().equals("run"));
    }

    @Test
    void terminateStopsARunThatIsUnderWayAndTheRunnerStillCloses() throws Exception {
        try (EncoderEmbeddingRunner runner = openRunner()) {
            CompletableFuture<List<EmbeddingOutcome>> run = new CompletableFuture<>();
            Thread worker = new Thread(
                    () -> {
                        try {
                            run.complete(runner.run(longTexts(16)));
                        } catch (Exception e) {
                            run.completeExceptionally(e);
                        }
                    },
                    "run-termination-test");
            worker.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> insideNativeRun(worker) || run.isDone());
            assertThat(run).as("the run was still under way when terminated").isNotDone();

            runner.terminate();

            await().atMost(Duration.ofSeconds(30)).until(run::isDone);
            assertThat(run).isCompletedExceptionally();
            assertThat(run.handle((v, e) -> e instanceof CompletionException c ? c.getCause() : e)
                            .join())
                    .isInstanceOf(OrtException.class)
                    .hasMessageContaining("terminate");
        }
    }

    @Test
    void closingAPoolTerminatesItsAbandonedNativeBatchWithoutWaitingAndItsWorkerEndsOnItsOwn() throws Exception {
        ModelPool<EncodedText, EmbeddingOutcome> pool = new ModelPool<>("termination", EncodedText::tokens);
        List<Exception> runErrors = new CopyOnWriteArrayList<>();
        pool.addModel(
                "minilm",
                PoolModelConfig.builder().queueCapacity(64).maxBatchItems(16).build(),
                worker -> recording(openRunner(), runErrors));
        AtomicInteger outcomes = new AtomicInteger();
        pool.submitAll("minilm", longTexts(16), new TaskListener<>() {
            @Override
            public void completed(int index, EmbeddingOutcome output, TaskTiming timing) {
                outcomes.incrementAndGet();
            }

            @Override
            public void failed(int index, Throwable cause, TaskTiming timing) {
                outcomes.incrementAndGet();
            }
        });
        await().atMost(Duration.ofSeconds(30))
                .until(() -> workerThread("modelpool-termination-minilm-0") != null
                        && insideNativeRun(workerThread("modelpool-termination-minilm-0")));

        pool.beginShutdown();
        assertThat(pool.abandon()).isEqualTo(16);
        pool.close(Duration.ofSeconds(5));

        // The close does not join the abandoned worker: ONNX Runtime stops the run at its next operator, and the
        // worker then closes its session and ends on its own.
        assertThat(outcomes).hasValue(16);
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(workerThread("modelpool-termination-minilm-0"))
                        .as("the worker ended")
                        .isNull());
        assertThat(runErrors)
                .singleElement()
                .isInstanceOf(OrtException.class)
                .extracting(Throwable::getMessage)
                .asString()
                .contains("terminate");
    }

    /** Delegates to {@code runner} and records what its runs throw. */
    private static BatchRunner<EncodedText, EmbeddingOutcome> recording(
            EncoderEmbeddingRunner runner, List<Exception> errors) {
        return new BatchRunner<>() {
            @Override
            public List<EmbeddingOutcome> run(List<EncodedText> inputs) throws Exception {
                try {
                    return runner.run(inputs);
                } catch (Exception e) {
                    errors.add(e);
                    throw e;
                }
            }

            @Override
            public void terminate() {
                runner.terminate();
            }

            @Override
            public void close() throws Exception {
                runner.close();
            }
        };
    }

    private static Thread workerThread(String name) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals(name) && t.isAlive())
                .findFirst()
                .orElse(null);
    }
}
