package io.modelpool.worker.runtime;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import io.modelpool.worker.capability.textembedding.EncodedText;
import io.modelpool.worker.capability.textembedding.EncoderEmbeddingParameters;
import io.modelpool.worker.capability.textembedding.EncoderEmbeddingRunner;
import io.modelpool.worker.capability.textembedding.Pooling;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs in its own JVM for {@link NativeMemoryTest}, so that no other test's threads, buffers or tokenizers
 * move the numbers. Measures the native heap in use with glibc's {@code mallinfo2}, which counts ONNX
 * Runtime's CPU allocations and direct buffers but not the Java heap, after a warm-up and after the runs,
 * and prints one line: {@code growth-bytes=<n> runs=<m>}.
 *
 * <p>Arguments: {@code runner <batches>} drives the production {@link EncoderEmbeddingRunner};
 * {@code unclosed <runs>} runs the raw session and never closes its results, the control that shows the
 * measure sees a leak.
 */
public final class NativeLeakProbe {

    /** glibc's malloc statistics; every field is a size_t. */
    @Structure.FieldOrder({
        "arena",
        "ordblks",
        "smblks",
        "hblks",
        "hblkhd",
        "usmblks",
        "fsmblks",
        "uordblks",
        "fordblks",
        "keepcost"
    })
    public static final class MallInfo2 extends Structure implements Structure.ByValue {
        public long arena;
        public long ordblks;
        public long smblks;
        public long hblks;
        public long hblkhd;
        public long usmblks;
        public long fsmblks;
        public long uordblks;
        public long fordblks;
        public long keepcost;
    }

    interface LibC extends Library {
        MallInfo2 mallinfo2();
    }

    private NativeLeakProbe() {}

    public static void main(String[] args) throws Exception {
        LibC libc = Native.load("c", LibC.class);
        String mode = args[0];
        int runs = Integer.parseInt(args[1]);
        OrtRuntime rt = OrtRuntime.shared();
        ModelSource model = new ModelSource("classpath:all-minilm-l6-v2-q.onnx");
        long before;
        long after;
        int measured;
        if (mode.equals("runner")) {
            EncoderEmbeddingParameters mean = new EncoderEmbeddingParameters(Pooling.MEAN, true, 256, "", "", false);
            List<EncodedText> batch = List.of(
                    new EncodedText(new long[] {101, 7592, 102}, false, Long.MAX_VALUE),
                    new EncodedText(new long[] {101, 7592, 2088, 1010, 2023, 102}, false, Long.MAX_VALUE));
            try (EncoderEmbeddingRunner runner = new EncoderEmbeddingRunner(
                    rt.environment(),
                    rt.open(model, SessionSettings.singleThread()),
                    mean,
                    System::currentTimeMillis)) {
                int warmup = Math.max(200, runs / 10);
                for (int i = 0; i < warmup; i++) {
                    runner.run(batch);
                }
                before = inUse(libc);
                for (int i = warmup; i < runs; i++) {
                    runner.run(batch);
                }
                after = inUse(libc);
                measured = runs - warmup;
            }
        } else {
            try (ai.onnxruntime.OrtSession session = rt.open(model, SessionSettings.singleThread())) {
                long[] ids = {101, 7592, 2088, 1010, 2023, 102};
                for (int i = 0; i < 50; i++) {
                    runRaw(rt, session, ids).close();
                }
                before = inUse(libc);
                for (int i = 0; i < runs; i++) {
                    runRaw(rt, session, ids); // deliberately never closed
                }
                after = inUse(libc);
                measured = runs;
            }
        }
        System.out.println("growth-bytes=" + (after - before) + " runs=" + measured);
    }

    private static ai.onnxruntime.OrtSession.Result runRaw(OrtRuntime rt, ai.onnxruntime.OrtSession session, long[] ids)
            throws Exception {
        Map<String, ai.onnxruntime.OnnxTensor> feed = new HashMap<>();
        try {
            feed.put("input_ids", Tensors.int64(rt.environment(), ids, 1, ids.length));
            feed.put("attention_mask", Tensors.int64(rt.environment(), new long[] {1, 1, 1, 1, 1, 1}, 1, ids.length));
            feed.put("token_type_ids", Tensors.int64(rt.environment(), new long[ids.length], 1, ids.length));
            return session.run(feed);
        } finally {
            Tensors.closeAll(feed);
        }
    }

    private static long inUse(LibC libc) {
        MallInfo2 info = libc.mallinfo2();
        return info.uordblks + info.hblkhd;
    }
}
