package io.modelpool.worker.capability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ManifestLoader;
import io.modelpool.worker.manifest.ModelManifest;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A family's {@code shutdown-grace} lets long work run on after the drain began; start-up refuses one that is not
 * below the worker's {@code shutdown.drain-timeout-ms}, with one line naming the model, the value and the limit.
 * The check runs before anything loads, so the manifests' model files are never opened.
 */
class ShutdownGraceCheckTest {

    private static ModelManifest causalLm(String grace) {
        return ManifestLoader.parse("""
                models:
                  - key: chat
                    capability: text-to-text
                    family: causal-lm
                    source: classpath:texttotext/toy-lm.onnx
                    tokenizer: classpath:texttotext/toy-lm-tokenizer.json
                    parameters:
                      eos-token: "<eos>"
                      shutdown-grace: %s
                """.formatted(grace), "test");
    }

    private static ModelManifest diffusion(String grace) {
        return ManifestLoader.parse("""
                models:
                  - key: painter
                    capability: text-to-image
                    family: latent-diffusion
                    source: classpath:texttoimage/toy-unet.onnx
                    tokenizer: classpath:texttoimage/toy-tokenizer.json
                    parameters:
                      text-encoder: classpath:texttoimage/toy-text-encoder.onnx
                      vae-decoder: classpath:texttoimage/toy-vae-decoder.onnx
                      pad-token: "<pad>"
                      text-sequence-length: 4
                      shutdown-grace: %s
                """.formatted(grace), "test");
    }

    @Test
    void aCausalLmGraceAtTheDrainTimeoutStopsStartUpNamingModelValueAndLimit() {
        assertThatThrownBy(() -> CapabilityRegistry.fromManifest(causalLm("5s"), Duration.ofSeconds(5)))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining(
                        "model 'chat': shutdown-grace = 5000 ms is not below" + " shutdown.drain-timeout-ms = 5000")
                .hasMessageNotContaining("\n");
    }

    @Test
    void aDiffusionGraceAboveTheDrainTimeoutStopsStartUp() {
        assertThatThrownBy(() -> CapabilityRegistry.fromManifest(diffusion("8s"), Duration.ofSeconds(5)))
                .isInstanceOf(ManifestException.class)
                .hasMessageContaining(
                        "model 'painter': shutdown-grace = 8000 ms is not below" + " shutdown.drain-timeout-ms = 5000");
    }

    @Test
    void aGraceBelowTheDrainTimeoutStartsTheCapability() {
        try (PoolGroup registry = CapabilityRegistry.fromManifest(causalLm("4s"), Duration.ofSeconds(5))) {
            assertThat(registry.pool(io.modelpool.v1.Capability.TEXT_TO_TEXT).models())
                    .containsExactly("chat");
        }
    }
}
