package io.modelpool.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/** The external-data check on PyTorch exports written by tools/pytorch_exports.py. */
class ExternalDataTest {

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = ExternalDataTest.class.getResourceAsStream("/exported/" + name)) {
            return in.readAllBytes();
        }
    }

    @Test
    void findsTheFirstTensorKeptInAnExternalFileAndTheFileItNames() throws Exception {
        assertThat(ExternalData.find(resource("gpt2/errors/external-data.onnx")))
                .contains(new ExternalData.Reference("model.wte.weight", "external-data.onnx.data"));
    }

    @Test
    void findsNothingInSelfContainedModelsIncludingTheBranchesOfAMergedDecoder() throws Exception {
        assertThat(ExternalData.find(resource("gpt2/decoder_model_merged.onnx")))
                .isEmpty();
        assertThat(ExternalData.find(resource("diffusion/unet/model.onnx"))).isEmpty();
    }

    @Test
    void leavesBytesThatAreNotAModelToOnnxRuntime() {
        assertThat(ExternalData.find(new byte[] {(byte) 0x3a, (byte) 0xff})).isEmpty();
    }
}
