package io.modelpool.worker.capability.texttotext;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.modelpool.worker.runtime.ModelSource;
import io.modelpool.worker.runtime.OrtRuntime;
import io.modelpool.worker.runtime.SessionSettings;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The toy LM fixture itself: it predicts the next word only when it is fed a consistent cache, mask and
 * positions, so the decode loop's tests would catch a loop that drops or misaligns the KV cache.
 */
class ToyLmFixtureTest {

    private static final long THE = 2;
    private static final long CAT = 3;
    private static final long UNK = 1;

    @Test
    void aConsistentCacheGivesTheNextWordAndAnInconsistentOneGivesUnk() throws Exception {
        OrtRuntime runtime = OrtRuntime.shared();
        try (OrtSession session =
                runtime.open(new ModelSource("classpath:texttotext/toy-lm.onnx"), SessionSettings.singleThread())) {
            assertThat(next(runtime.environment(), session, 0, 1)).isEqualTo(CAT);
            assertThat(next(runtime.environment(), session, 0, 2))
                    .as("mask longer than the cache")
                    .isEqualTo(UNK);
            assertThat(next(runtime.environment(), session, 3, 1))
                    .as("position past the cache")
                    .isEqualTo(UNK);
        }
    }

    /** Runs "the" with an empty cache, the given position and mask length; returns the arg-max token. */
    private static long next(OrtEnvironment env, OrtSession session, long position, int maskLength) throws Exception {
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {THE}), new long[] {1, 1}));
            long[] mask = new long[maskLength];
            Arrays.fill(mask, 1L);
            feed.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, maskLength}));
            feed.put(
                    "position_ids",
                    OnnxTensor.createTensor(env, LongBuffer.wrap(new long[] {position}), new long[] {1, 1}));
            for (String kv : new String[] {"key", "value"}) {
                feed.put(
                        "past_key_values.0." + kv,
                        OnnxTensor.createTensor(env, FloatBuffer.allocate(0), new long[] {1, 1, 0, 2}));
            }
            try (OrtSession.Result result = session.run(feed)) {
                float[] logits = ((OnnxTensor) result.get("logits").orElseThrow())
                        .getFloatBuffer()
                        .array();
                assertThat(((OnnxTensor) result.get("present.0.key").orElseThrow())
                                .getInfo()
                                .getShape())
                        .containsExactly(1, 1, 1, 2);
                int best = 0;
                for (int i = 1; i < logits.length; i++) {
                    if (logits[i] > logits[best]) {
                        best = i;
                    }
                }
                return best;
            }
        } finally {
            feed.values().forEach(OnnxTensor::close);
        }
    }
}
