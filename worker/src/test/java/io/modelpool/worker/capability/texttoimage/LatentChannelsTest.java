package io.modelpool.worker.capability.texttoimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import org.junit.jupiter.api.Test;

/**
 * The latent channel count: diffusers' and Optimum's UNet exports leave the channel dimension of {@code sample}
 * dynamic (the PyTorch-exported fixture of {@code ExportedDiffusionKafkaTest} does too), so it comes from the
 * manifest's {@code latent-channels} (default 4) unless the export fixes it.
 */
class LatentChannelsTest {

    @Test
    void aDynamicChannelDimensionTakesTheManifestsValueOrFour() throws Exception {
        assertThat(LatentDiffusionRunner.latentChannels(-1, null)).isEqualTo(4);
        assertThat(LatentDiffusionRunner.latentChannels(-1, 16)).isEqualTo(16);
    }

    @Test
    void aFixedChannelDimensionIsUsedAndMustAgreeWithTheManifest() throws Exception {
        assertThat(LatentDiffusionRunner.latentChannels(1, null)).isEqualTo(1);
        assertThat(LatentDiffusionRunner.latentChannels(4, 4)).isEqualTo(4);
        assertThatThrownBy(() -> LatentDiffusionRunner.latentChannels(4, 16))
                .isInstanceOf(OrtException.class)
                .hasMessageContaining("sample has 4 channels; expected parameters.latent-channels (16)");
    }
}
