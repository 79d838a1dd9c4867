package io.modelpool.worker.capability.textembedding;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.modelpool.worker.capability.Vectors;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.Tensors;
import io.modelpool.worker.runtime.TerminableRuns;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Runs a BERT-style encoder on a batch of tokenised texts and pools each text's token vectors.
 *
 * <p>A batch of one runs unpadded. A larger batch is padded to its longest text (the pool sorts batches by
 * length, so little padding is computed) with an attention mask, and mean pooling averages only unmasked
 * positions. Texts whose deadline has passed are answered {@link EmbeddingOutcome.Expired} and left out of
 * the run. Every tensor and result is closed before {@link #run} returns.
 *
 * <p>Owned by one pool worker thread; the session is this runner's alone. Every run passes this runner's
 * {@link TerminableRuns} options, so a closing pool can stop a run it gave up on ({@link #terminate()}).
 */
public final class EncoderEmbeddingRunner implements BatchRunner<EncodedText, EmbeddingOutcome> {

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String TOKEN_TYPE_IDS = "token_type_ids";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final EncoderEmbeddingParameters parameters;
    private final LongSupplier clock;
    private final String outputName;
    private final boolean wantsMask;
    private final boolean wantsTypes;
    private final java.util.Set<String> outputNames;
    private LongBuffer ids;
    private LongBuffer mask;
    private LongBuffer types;
    private FloatBuffer hidden;
    private final int hiddenSize;
    private final TerminableRuns runs;

    /**
     * @param session taken over: closed by {@link #close()}
     * @param clock   epoch milliseconds, for deadlines
     */
    public EncoderEmbeddingRunner(
            OrtEnvironment env, OrtSession session, EncoderEmbeddingParameters parameters, LongSupplier clock)
            throws OrtException {
        this.env = env;
        this.session = session;
        this.parameters = parameters;
        this.clock = clock;
        if (!session.getInputNames().contains(INPUT_IDS)) {
            throw new OrtException("encoder has no '" + INPUT_IDS + "' input; inputs: " + session.getInputNames());
        }
        this.wantsMask = session.getInputNames().contains(ATTENTION_MASK);
        this.wantsTypes = session.getInputNames().contains(TOKEN_TYPE_IDS);
        this.outputName = tokenOutput(session);
        this.outputNames = java.util.Set.of(outputName);
        this.hiddenSize = fixedHiddenSize(session, outputName);
        this.runs = new TerminableRuns();
    }

    /** The output holding per-token vectors: {@code last_hidden_state}, else the first rank-3 float output. */
    private static String tokenOutput(OrtSession session) throws OrtException {
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        if (outputs.containsKey("last_hidden_state")) {
            return "last_hidden_state";
        }
        for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
            if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 3) {
                return e.getKey();
            }
        }
        throw new OrtException("encoder has no [batch, tokens, hidden] output; outputs: " + outputs.keySet());
    }

    /** The output's last dimension when the model fixes it (384 for MiniLM), else 0. */
    private static int fixedHiddenSize(OrtSession session, String output) throws OrtException {
        if (session.getOutputInfo().get(output).getInfo() instanceof TensorInfo t) {
            long[] shape = t.getShape();
            long last = shape[shape.length - 1];
            return last > 0 && last < 65_536 ? (int) last : 0;
        }
        return 0;
    }

    @Override
    public List<EmbeddingOutcome> run(List<EncodedText> inputs) throws OrtException {
        int n = inputs.size();
        EmbeddingOutcome[] outcomes = new EmbeddingOutcome[n];
        long now = clock.getAsLong();
        List<Integer> live = new ArrayList<>(n);
        int longest = 0;
        for (int i = 0; i < n; i++) {
            EncodedText t = inputs.get(i);
            if (t.deadlineEpochMs() < now) {
                outcomes[i] = new EmbeddingOutcome.Expired(t.deadlineEpochMs());
            } else {
                live.add(i);
                longest = Math.max(longest, t.tokens());
            }
        }
        if (!live.isEmpty()) {
            runLive(inputs, live, longest, outcomes);
        }
        return List.of(outcomes);
    }

    private void runLive(List<EncodedText> inputs, List<Integer> live, int length, EmbeddingOutcome[] outcomes)
            throws OrtException {
        int rows = live.size();
        int cells = rows * length;
        ensureCapacity(cells);
        ids.clear();
        mask.clear();
        types.clear();
        int[] lengths = new int[rows];
        for (int r = 0; r < rows; r++) {
            long[] src = inputs.get(live.get(r)).ids();
            lengths[r] = src.length;
            ids.put(src);
            for (int t = 0; t < src.length; t++) {
                mask.put(1L);
            }
            for (int t = src.length; t < length; t++) {
                ids.put(0L);
                mask.put(0L);
            }
        }
        for (int c = 0; c < cells; c++) {
            types.put(0L);
        }
        ids.flip();
        mask.flip();
        types.flip();
        Map<String, OnnxTensor> feed = new HashMap<>(4);
        try {
            long[] shape = {rows, length};
            feed.put(INPUT_IDS, OnnxTensor.createTensor(env, ids, shape));
            if (wantsMask) {
                feed.put(ATTENTION_MASK, OnnxTensor.createTensor(env, mask, shape));
            }
            if (wantsTypes) {
                feed.put(TOKEN_TYPE_IDS, OnnxTensor.createTensor(env, types, shape));
            }
            if (hiddenSize > 0) {
                // ONNX Runtime writes the token vectors straight into our buffer: no output allocation or copy
                FloatBuffer out = hiddenBuffer(cells * hiddenSize);
                try (OnnxTensor pinned = OnnxTensor.createTensor(env, out, new long[] {rows, length, hiddenSize});
                        OrtSession.Result result =
                                session.run(feed, java.util.Set.of(), Map.of(outputName, pinned), runs.options())) {
                    poolRows(out, 0, rows, length, hiddenSize, lengths, live, outcomes);
                }
            } else {
                try (OrtSession.Result result = session.run(feed, outputNames, runs.options())) {
                    FloatBuffer out = Tensors.floats(result, outputName);
                    poolRows(out, out.position(), rows, length, out.remaining() / cells, lengths, live, outcomes);
                }
            }
        } finally {
            Tensors.closeAll(feed);
        }
    }

    private void poolRows(
            FloatBuffer hidden,
            int base,
            int rows,
            int length,
            int dims,
            int[] lengths,
            List<Integer> live,
            EmbeddingOutcome[] outcomes) {
        for (int r = 0; r < rows; r++) {
            float[] v = pool(hidden, base + r * length * dims, lengths[r], dims);
            if (parameters.normalize()) {
                Vectors.normalizeL2(v);
            }
            outcomes[live.get(r)] = new EmbeddingOutcome.Vector(v);
        }
    }

    private FloatBuffer hiddenBuffer(int floats) {
        if (hidden == null || hidden.capacity() < floats) {
            hidden = ByteBuffer.allocateDirect(Math.max(floats, 512 * hiddenSize) * Float.BYTES)
                    .order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
        }
        hidden.clear();
        hidden.limit(floats);
        return hidden;
    }

    /**
     * Input tensors are created over these direct buffers, which ONNX Runtime reads in place: no copy, and
     * no direct buffer allocated per run (a fresh one per run would hold native memory until a GC).
     */
    private void ensureCapacity(int cells) {
        if (ids == null || ids.capacity() < cells) {
            int capacity = Math.max(cells, 512);
            ids = Tensors.directLongs(capacity);
            mask = Tensors.directLongs(capacity);
            types = Tensors.directLongs(capacity);
        }
    }

    private float[] pool(FloatBuffer hidden, int offset, int tokens, int dims) {
        float[] v = new float[dims];
        if (parameters.pooling() == Pooling.CLS) {
            for (int d = 0; d < dims; d++) {
                v[d] = hidden.get(offset + d);
            }
            return v;
        }
        for (int t = 0; t < tokens; t++) {
            int at = offset + t * dims;
            for (int d = 0; d < dims; d++) {
                v[d] += hidden.get(at + d);
            }
        }
        float inv = 1f / Math.max(1, tokens);
        for (int d = 0; d < dims; d++) {
            v[d] *= inv;
        }
        return v;
    }

    @Override
    public void terminate() {
        runs.terminate();
    }

    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            runs.close();
        }
    }
}
