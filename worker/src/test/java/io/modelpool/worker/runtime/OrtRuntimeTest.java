package io.modelpool.worker.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.ExecutionMode;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.modelpool.worker.manifest.SessionSpec;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtRuntimeTest {

    private static final String MODEL = "classpath:all-minilm-l6-v2-q.onnx";
    private static final long[] IDS = {101, 7592, 2088, 102};

    private static float[] firstToken(OrtSession session) throws Exception {
        OrtRuntime rt = OrtRuntime.shared();
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", Tensors.int64(rt.environment(), IDS, 1, IDS.length));
            feed.put("attention_mask", Tensors.int64(rt.environment(), new long[] {1, 1, 1, 1}, 1, IDS.length));
            feed.put("token_type_ids", Tensors.int64(rt.environment(), new long[4], 1, IDS.length));
            try (OrtSession.Result result = session.run(feed)) {
                FloatBuffer out = Tensors.floats(result, "last_hidden_state");
                float[] v = new float[384];
                out.get(v);
                return v;
            }
        } finally {
            Tensors.closeAll(feed);
        }
    }

    @Test
    void aModelLoadsFromTheClasspathAndFromAFileWithTheSameResults(@TempDir Path dir) throws Exception {
        Path copy = dir.resolve("model.onnx");
        Files.write(copy, new ModelSource(MODEL).readAllBytes());
        OrtRuntime rt = OrtRuntime.shared();

        try (OrtSession fromJar = rt.open(new ModelSource(MODEL), SessionSettings.singleThread());
                OrtSession fromFile = rt.open(new ModelSource("file:" + copy), SessionSettings.singleThread())) {
            assertThat(fromJar.getInputNames()).contains("input_ids", "attention_mask", "token_type_ids");
            assertThat(firstToken(fromFile)).containsExactly(firstToken(fromJar));
        }
    }

    @Test
    void aMissingSourceNamesItself() {
        assertThatThrownBy(() -> new ModelSource("classpath:no/such.onnx").readAllBytes())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no/such.onnx");
        assertThatThrownBy(() -> new ModelSource(" ")).hasMessageContaining("model source is empty");
    }

    @Test
    void sessionSettingsFollowTheManifest() {
        SessionSettings s = SessionSettings.from(new SessionSpec(2, 3, "extended", "parallel", true));

        assertThat(s).isEqualTo(new SessionSettings(2, 3, OptLevel.EXTENDED_OPT, ExecutionMode.PARALLEL, true));
        assertThat(SessionSettings.from(SessionSpec.defaults())).isEqualTo(SessionSettings.singleThread());
    }

    @Test
    void askingForCudaWithoutTheGpuBuildStillOpensACpuSession() throws Exception {
        SessionSettings cuda = new SessionSettings(1, 1, OptLevel.ALL_OPT, ExecutionMode.SEQUENTIAL, true);

        try (OrtSession session = OrtRuntime.shared().open(new ModelSource(MODEL), cuda)) {
            assertThat(firstToken(session)).hasSize(384);
        }
        assertThat(OrtRuntime.shared().version()).isNotBlank();
    }
}
