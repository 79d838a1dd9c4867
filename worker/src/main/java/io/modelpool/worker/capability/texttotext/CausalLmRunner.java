package io.modelpool.worker.capability.texttotext;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.modelpool.v1.FinishReason;
import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.Tensors;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Generates text with a decoder-only model exported with the Hugging Face/Optimum signature, reusing the
 * key/value cache: the prefill step runs the whole prompt with an empty cache, and each decode step runs
 * only the last token against the {@code present.N.key|value} tensors of the step before, which are fed
 * back as {@code past_key_values.N.key|value} without copying (the previous step's result stays open until
 * the next step has run).
 *
 * <p>Between decode steps it checks, in order: EOS (the token is not emitted), stop strings (the text is cut
 * before the first one), the request's maximum of new tokens, the request's deadline (DEADLINE, truncated)
 * and the shutdown grace (SHUTDOWN, truncated). A generation therefore never runs more than one decode step
 * past its deadline or the grace.
 *
 * <p>One sequence per session run, so a generation never depends on what else was queued. Owned by one pool
 * worker thread; the session is this runner's alone. Caches must be float32.
 */
public final class CausalLmRunner implements BatchRunner<Generation, GenerationOutcome> {

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String POSITION_IDS = "position_ids";
    private static final String USE_CACHE_BRANCH = "use_cache_branch";
    private static final String LOGITS = "logits";
    private static final Pattern PAST = Pattern.compile("past_key_values\\.(\\d+)\\.(key|value)");

    private final OrtEnvironment env;
    private final OrtSession session;
    private final LmTokenizer tokenizer;
    private final ShutdownGrace grace;
    private final LongSupplier clock;
    private final List<String> pastNames = new ArrayList<>();
    private final List<String> presentNames = new ArrayList<>();
    private final List<long[]> emptyPastShapes = new ArrayList<>();
    private final Set<String> outputNames = new LinkedHashSet<>();
    private final boolean wantsMask;
    private final boolean wantsPositions;
    private final boolean wantsCacheBranch;

    /**
     * @param session taken over: closed by {@link #close()}
     * @param clock   epoch milliseconds, for deadlines
     * @throws OrtException when the model lacks the inputs or outputs of the signature
     */
    CausalLmRunner(OrtEnvironment env, OrtSession session, LmTokenizer tokenizer, ShutdownGrace grace,
                   LongSupplier clock) throws OrtException {
        this.env = env;
        this.session = session;
        this.tokenizer = tokenizer;
        this.grace = grace;
        this.clock = clock;
        Set<String> inputs = session.getInputNames();
        Map<String, NodeInfo> inputInfo = session.getInputInfo();
        if (!inputs.contains(INPUT_IDS) || !session.getOutputNames().contains(LOGITS)) {
            throw new OrtException("causal-lm needs an '" + INPUT_IDS + "' input and a '" + LOGITS
                    + "' output; inputs: " + inputs + ", outputs: " + session.getOutputNames());
        }
        this.wantsMask = inputs.contains(ATTENTION_MASK);
        this.wantsPositions = inputs.contains(POSITION_IDS);
        this.wantsCacheBranch = inputs.contains(USE_CACHE_BRANCH);
        outputNames.add(LOGITS);
        Map<Integer, String[]> layers = new TreeMap<>();
        for (String name : inputs) {
            Matcher m = PAST.matcher(name);
            if (m.matches()) {
                layers.computeIfAbsent(Integer.parseInt(m.group(1)), k -> new String[2])[
                        m.group(2).equals("key") ? 0 : 1] = name;
            }
        }
        for (Map.Entry<Integer, String[]> layer : layers.entrySet()) {
            for (int kv = 0; kv < 2; kv++) {
                String past = layer.getValue()[kv];
                String present = "present." + layer.getKey() + (kv == 0 ? ".key" : ".value");
                if (past == null || !session.getOutputNames().contains(present)) {
                    throw new OrtException("causal-lm layer " + layer.getKey() + " needs past_key_values."
                            + layer.getKey() + ".key|value inputs and present." + layer.getKey()
                            + ".key|value outputs; outputs: " + session.getOutputNames());
                }
                pastNames.add(past);
                presentNames.add(present);
                outputNames.add(present);
                emptyPastShapes.add(emptyShape(past, inputInfo.get(past)));
            }
        }
    }

    /** [1, heads, 0, head size]: the cache before the prompt; heads and head size must be fixed. */
    private static long[] emptyShape(String name, NodeInfo info) throws OrtException {
        if (!(info.getInfo() instanceof TensorInfo t) || t.type != OnnxJavaType.FLOAT || t.getShape().length != 4
                || t.getShape()[1] <= 0 || t.getShape()[3] <= 0) {
            throw new OrtException("causal-lm input " + name + " must be float32 [batch, heads, past, head size]"
                    + " with fixed heads and head size; it is " + info.getInfo());
        }
        return new long[] {1, t.getShape()[1], 0, t.getShape()[3]};
    }

    @Override
    public List<GenerationOutcome> run(List<Generation> inputs) throws OrtException {
        List<GenerationOutcome> out = new ArrayList<>(inputs.size());
        for (Generation g : inputs) {
            out.add(generate(g));
        }
        return out;
    }

    private GenerationOutcome generate(Generation g) throws OrtException {
        if (g.deadlineEpochMs() < clock.getAsLong()) {
            return new GenerationOutcome.Expired(g.deadlineEpochMs());
        }
        long[] prompt = g.promptIds();
        long[] generated = new long[g.maxNewTokens()];
        int count = 0;
        Sampler sampler = null;
        FinishReason reason;
        String stopCut = null;
        long[] step = prompt;
        int past = 0;
        OrtSession.Result previous = null;
        try {
            while (true) {
                OrtSession.Result result = step(step, past, previous);
                if (previous != null) {
                    previous.close();
                }
                previous = result;
                past += step.length;
                OnnxTensor logits = (OnnxTensor) result.get(LOGITS).orElseThrow();
                long[] shape = logits.getInfo().getShape();
                int vocabulary = (int) shape[shape.length - 1];
                float[] values = floats(logits);
                if (sampler == null) {
                    sampler = new Sampler(g.sampling(), vocabulary, prompt);
                }
                int next = sampler.next(values, values.length - vocabulary);
                if (next == tokenizer.eosId()) {
                    reason = FinishReason.EOS;
                    break;
                }
                generated[count++] = next;
                sampler.observe(next);
                if (!g.stopStrings().isEmpty()) {
                    stopCut = cutAtStop(tokenizer.decode(Arrays.copyOf(generated, count)), g.stopStrings());
                    if (stopCut != null) {
                        reason = FinishReason.STOP_STRING;
                        break;
                    }
                }
                if (count == g.maxNewTokens()) {
                    reason = FinishReason.MAX_TOKENS;
                    break;
                }
                if (clock.getAsLong() > g.deadlineEpochMs()) {
                    reason = FinishReason.DEADLINE;
                    break;
                }
                if (grace.expired()) {
                    reason = FinishReason.SHUTDOWN;
                    break;
                }
                step = new long[] {next};
            }
        } finally {
            if (previous != null) {
                previous.close();
            }
        }
        String text = stopCut != null ? stopCut : tokenizer.decode(Arrays.copyOf(generated, count));
        return new GenerationOutcome.Text(text, prompt.length, count, reason);
    }

    /** The text before the earliest stop string it contains, or null when it contains none. */
    static String cutAtStop(String text, List<String> stops) {
        int cut = -1;
        for (String s : stops) {
            int at = s.isEmpty() ? -1 : text.indexOf(s);
            if (at >= 0 && (cut < 0 || at < cut)) {
                cut = at;
            }
        }
        return cut < 0 ? null : text.substring(0, cut);
    }

    /** Runs {@code ids} after {@code past} cached tokens; the caller closes the result. */
    private OrtSession.Result step(long[] ids, int past, OrtSession.Result previous) throws OrtException {
        Map<String, OnnxTensor> owned = new HashMap<>();
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            int total = past + ids.length;
            owned.put(INPUT_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {1, ids.length}));
            if (wantsMask) {
                long[] mask = new long[total];
                Arrays.fill(mask, 1L);
                owned.put(ATTENTION_MASK, OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {1, total}));
            }
            if (wantsPositions) {
                long[] positions = new long[ids.length];
                for (int i = 0; i < positions.length; i++) {
                    positions[i] = past + i;
                }
                owned.put(POSITION_IDS, OnnxTensor.createTensor(env, LongBuffer.wrap(positions),
                        new long[] {1, ids.length}));
            }
            if (wantsCacheBranch) {
                owned.put(USE_CACHE_BRANCH, OnnxTensor.createTensor(env, new boolean[] {previous != null}));
            }
            for (int i = 0; i < pastNames.size(); i++) {
                if (previous == null) {
                    owned.put(pastNames.get(i), OnnxTensor.createTensor(env, FloatBuffer.allocate(0),
                            emptyPastShapes.get(i)));
                } else {
                    feed.put(pastNames.get(i), (OnnxTensor) previous.get(presentNames.get(i)).orElseThrow());
                }
            }
            feed.putAll(owned);
            return session.run(feed, outputNames);
        } finally {
            Tensors.closeAll(owned);
        }
    }

    private static float[] floats(OnnxTensor tensor) {
        FloatBuffer b = tensor.getFloatBuffer();
        float[] values = new float[b.remaining()];
        b.get(values);
        return values;
    }

    @Override
    public void close() throws OrtException {
        session.close();
    }
}
