package io.modelpool.worker.capability.textembedding;

import static io.modelpool.worker.capability.textembedding.Embeddings.CONTEXT;
import static io.modelpool.worker.capability.textembedding.Embeddings.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.TextEmbeddingResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelManifest;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Registries start, close and start again while other threads submit, without losing or breaking anything. */
class RegistryLifecycleTest {

    private static final String MINI = "all-minilm-l6-v2-q";

    private static ModelManifest miniOnly() {
        ModelManifest shipped = ManifestLoader.loadDefault();
        return new ModelManifest(shipped.limits(), List.of(shipped.model(MINI).orElseThrow()));
    }

    @Test
    void closingWhileAnotherThreadSubmitsEndsItsSubmissionsWithShuttingDownAndAnswersEveryAcceptedRequest()
            throws Exception {
        PoolGroup registry = CapabilityRegistry.fromManifest(miniOnly());
        CapabilityService service = registry.service(Capability.TEXT_EMBEDDING);
        ConcurrentLinkedQueue<CompletableFuture<Outcome>> accepted = new ConcurrentLinkedQueue<>();
        AtomicReference<PoolError> stoppedBy = new AtomicReference<>();
        AtomicReference<Throwable> unexpected = new AtomicReference<>();
        AtomicInteger submitted = new AtomicInteger();
        CountDownLatch running = new CountDownLatch(20);
        Thread submitter = new Thread(
                () -> {
                    try {
                        while (true) {
                            accepted.add(service.handle(
                                    request(
                                            MINI,
                                            List.of("sentence " + submitted.incrementAndGet()
                                                    + " about a cat that sat on a mat")),
                                    CONTEXT));
                            running.countDown();
                        }
                    } catch (PoolRejectedException e) {
                        stoppedBy.set(e.error());
                    } catch (Throwable t) {
                        unexpected.set(t);
                    }
                },
                "test-submitter");
        submitter.start();
        assertThat(running.await(60, TimeUnit.SECONDS)).isTrue();

        registry.beginShutdown();
        registry.awaitDrained(Duration.ofMillis(200));
        int abandoned = registry.abandon();
        registry.close();
        submitter.join(TimeUnit.SECONDS.toMillis(30));

        assertThat(unexpected.get()).isNull();
        assertThat(stoppedBy.get()).isInstanceOf(PoolError.ShuttingDown.class);
        int ok = 0;
        int shuttingDown = 0;
        for (CompletableFuture<Outcome> f : accepted) {
            TextEmbeddingResult r = Embeddings.await(f);
            if (r.getStatus() == ResultStatus.ERROR) {
                assertThat(r.getError().getCode().name()).isEqualTo("SHUTTING_DOWN");
                assertThat(r.getError().getRetryable()).isTrue();
                shuttingDown++;
            } else {
                ok++;
            }
        }
        // one text per request, so one pool task each: every task abandon() counted is one SHUTTING_DOWN answer
        assertThat(shuttingDown).as("requests answered SHUTTING_DOWN").isEqualTo(abandoned);
        assertThat(ok + shuttingDown).as("every accepted request answered once").isEqualTo(accepted.size());
    }

    @Test
    void aRegistryClosedWhileItsSessionsAreStillLoadingClosesCleanlyAndANewOneServes() throws Exception {
        for (int round = 0; round < 3; round++) {
            PoolGroup loading = CapabilityRegistry.fromManifest(miniOnly());
            loading.close();
        }
        try (PoolGroup registry = CapabilityRegistry.fromManifest(miniOnly())) {
            Map<String, ModelState> states = registry.awaitLoaded(Duration.ofSeconds(60));
            TextEmbeddingResult r =
                    Embeddings.call(registry.service(Capability.TEXT_EMBEDDING), request(MINI, List.of("still works")));

            assertThat(states).containsEntry(MINI, ModelState.READY);
            assertThat(r.getStatus()).isEqualTo(ResultStatus.OK);
        }
    }
}
