package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.v1.Capability;
import io.modelpool.v1.GenerationParameters;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.TextToTextResult;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.pool.ModelState;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The toy language model of tools/toy_causal_lm.py behind a real registry, and request builders for it. */
final class ToyLm {

    static final String MODEL = "toy-lm";
    static final String MANIFEST = "classpath:texttotext/toy-lm.yaml";
    static final RequestContext CONTEXT = new RequestContext("test-worker", 0);

    private ToyLm() {}

    static PoolGroup registry() {
        PoolGroup registry = CapabilityRegistry.fromManifest(ManifestLoader.load(MANIFEST));
        assertThat(registry.awaitLoaded(Duration.ofSeconds(30))).containsEntry(MODEL, ModelState.READY);
        return registry;
    }

    static GenerationParameters.Builder greedy(int maxNewTokens) {
        return GenerationParameters.newBuilder().setMaxNewTokens(maxNewTokens);
    }

    static TextToTextRequest request(String prompt, GenerationParameters.Builder parameters) {
        return request(prompt, parameters, null);
    }

    static TextToTextRequest request(String prompt, GenerationParameters.Builder parameters, Instant deadline) {
        return TextToTextRequest.newBuilder()
                .setId(UUID.randomUUID().toString())
                .setModel(MODEL)
                .setPrompt(prompt)
                .setParameters(parameters.build())
                .setDeadline(deadline)
                .build();
    }

    static TextToTextResult generate(CapabilityService service, TextToTextRequest request) throws Exception {
        return await(service.handle(request, CONTEXT));
    }

    static TextToTextResult await(CompletableFuture<Outcome> future) throws Exception {
        return (TextToTextResult) future.get(30, TimeUnit.SECONDS).record();
    }

    static CapabilityService service(PoolGroup registry) {
        return registry.service(Capability.TEXT_TO_TEXT);
    }
}
