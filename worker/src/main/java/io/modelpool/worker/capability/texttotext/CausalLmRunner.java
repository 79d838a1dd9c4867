package io.modelpool.worker.capability.texttotext;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.Tensors;
import io.modelpool.worker.runtime.TerminableRuns;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates text with a decoder-only model exported with the Hugging Face/Optimum signature, reusing the
 * key/value cache: the prefill step runs the whole prompt with an empty cache, and each decode step runs
 * only the last token against the {@code present.N.key|value} tensors of the step before, which are fed
 * back as {@code past_key_values.N.key|value} without copying (the previous step's result stays open until
 * the next step has run).
 *
 * <p>After each step every sequence checks its end conditions ({@link LiveSequence}): EOS, stop strings,
 * maximum of new tokens, deadline (DEADLINE, truncated) and the shutdown grace (SHUTDOWN, truncated). A
 * generation therefore never runs more than one decode step past its deadline or the grace.
 *
 * <p>Two modes, chosen by the manifest's {@code batch-invariant} switch:
 * <ul>
 *   <li>one at a time (batch-invariant, the default): every generation runs alone, so it never depends on
 *       what else was queued;</li>
 *   <li>batched: the prompts of one pool batch are left-padded into one {@code [rows, longest]} prefill run
 *       (padding masked out by {@code attention_mask}, positions counted over real tokens only, so every row
 *       sees what it would see alone), then all rows decode together in one {@code [rows, 1]} step per token
 *       over a shared, left-padded cache. A sequence that ends leaves the batch: the cache is cut down to the
 *       rows still decoding ({@link KvCache#keep}), and its outcome goes at once to its
 *       {@link Generation.EarlyResult}, so its answer does not wait for the batch. New requests do not join a
 *       running batch: the pool hands a runner whole batches, and the next batch starts when this one has
 *       ended.</li>
 * </ul>
 *
 * <p>Owned by one pool worker thread; the session is this runner's alone. Caches must be float32.
 */
public final class CausalLmRunner implements BatchRunner<Generation, GenerationOutcome> {

    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String POSITION_IDS = "position_ids";
    private static final String USE_CACHE_BRANCH = "use_cache_branch";
    private static final String LOGITS = "logits";
    private static final Pattern PAST = Pattern.compile("past_key_values\\.(\\d+)\\.(key|value)");
    private static final Logger LOG = LoggerFactory.getLogger(CausalLmRunner.class);

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
    private final boolean batched;
    private final TerminableRuns runs;

    /**
     * @param session taken over: closed by {@link #close()}
     * @param clock   epoch milliseconds, for deadlines
     * @param batched true: the inputs of one {@link #run} generate together (padded prefill, shared decode
     *                steps); false: one after the other, each alone
     * @throws OrtException when the model lacks the inputs or outputs of the signature
     */
    CausalLmRunner(
            OrtEnvironment env,
            OrtSession session,
            LmTokenizer tokenizer,
            ShutdownGrace grace,
            LongSupplier clock,
            boolean batched)
            throws OrtException {
        this.env = env;
        this.batched = batched;
        this.session = session;
        this.tokenizer = tokenizer;
        this.grace = grace;
        this.clock = clock;
        Set<String> inputs = session.getInputNames();
        Map<String, NodeInfo> inputInfo = session.getInputInfo();
        Map<String, NodeInfo> outputInfo = session.getOutputInfo();
        if (!inputs.contains(INPUT_IDS) || !outputInfo.containsKey(LOGITS)) {
            throw new OrtException("causal-lm needs an '" + INPUT_IDS + "' input and a '" + LOGITS
                    + "' output; inputs: " + inputs + ", outputs: " + outputInfo.keySet());
        }
        checkLogits(outputInfo.get(LOGITS), tokenizer);
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
        if (layers.isEmpty()) {
            throw new OrtException("input past_key_values.0.key is missing; expected a decoder exported with its KV"
                    + " cache (past_key_values.N.key|value in, present.N.key|value out: Optimum's"
                    + " decoder_with_past_model.onnx or decoder_model_merged.onnx, not decoder_model.onnx); inputs: "
                    + inputs);
        }
        for (Map.Entry<Integer, String[]> layer : layers.entrySet()) {
            for (int kv = 0; kv < 2; kv++) {
                String suffix = kv == 0 ? ".key" : ".value";
                String past = layer.getValue()[kv];
                String present = "present." + layer.getKey() + suffix;
                if (past == null) {
                    throw new OrtException("input past_key_values." + layer.getKey() + suffix + " is missing;"
                            + " expected a key and a value input for every cached layer; inputs: " + inputs);
                }
                if (!outputInfo.containsKey(present)) {
                    throw new OrtException("output " + present + " is missing; expected one present.N.key|value"
                            + " output for every past_key_values.N.key|value input (export with use_cache, as"
                            + " Optimum's text-generation-with-past task does); outputs: " + outputInfo.keySet());
                }
                pastNames.add(past);
                presentNames.add(present);
                outputNames.add(present);
                emptyPastShapes.add(emptyShape(past, inputInfo.get(past)));
                requireFloat32(present, "output", outputInfo.get(present));
            }
        }
        this.runs = new TerminableRuns();
    }

    /** Logits must be float32, with at least one entry per tokenizer id when their last dimension is fixed. */
    private static void checkLogits(NodeInfo info, LmTokenizer tokenizer) throws OrtException {
        TensorInfo t = requireFloat32(LOGITS, "output", info);
        long[] shape = t.getShape();
        long entries = shape.length == 0 ? -1 : shape[shape.length - 1];
        if (entries > 0 && entries < tokenizer.vocabularySize()) {
            throw new OrtException("output logits has " + entries + " entries per token but the tokenizer has "
                    + tokenizer.vocabularySize() + " ids; expected at least " + tokenizer.vocabularySize()
                    + " (a tokenizer.json of another model?)");
        }
        if (entries > 0 && tokenizer.eosId() >= entries) {
            throw new OrtException("output logits has " + entries + " entries per token but the eos-token's id is "
                    + tokenizer.eosId() + "; expected an id the model can score");
        }
    }

    private static TensorInfo requireFloat32(String name, String role, NodeInfo info) throws OrtException {
        if (!(info.getInfo() instanceof TensorInfo t)) {
            throw new OrtException(role + " " + name + " is " + info.getInfo() + "; expected a float32 tensor");
        }
        if (t.type != OnnxJavaType.FLOAT) {
            throw new OrtException(role + " " + name + " is " + t.type.name().toLowerCase(Locale.ROOT)
                    + "; expected float32: causal-lm keeps logits and the KV cache in float32 (export the decoder"
                    + " in float32, for example without Optimum's --fp16)");
        }
        return t;
    }

    /** [1, heads, 0, head size]: the cache before the prompt; heads and head size must be fixed. */
    private static long[] emptyShape(String name, NodeInfo info) throws OrtException {
        TensorInfo t = requireFloat32(name, "input", info);
        if (t.getShape().length != 4 || t.getShape()[1] <= 0 || t.getShape()[3] <= 0) {
            throw new OrtException("input " + name + " has shape " + Arrays.toString(t.getShape())
                    + "; expected [batch, heads, past, head size] with fixed heads and head size");
        }
        return new long[] {1, t.getShape()[1], 0, t.getShape()[3]};
    }

    @Override
    public List<GenerationOutcome> run(List<Generation> inputs) throws OrtException {
        if (batched) {
            return generate(inputs);
        }
        List<GenerationOutcome> out = new ArrayList<>(inputs.size());
        for (Generation g : inputs) {
            out.add(generate(List.of(g)).get(0));
        }
        return out;
    }

    /**
     * Generates for every input together: one left-padded prefill run, then one {@code [rows, 1]} decode step
     * per token for the sequences still going. A batch of one feeds exactly what a lone generation needs: no
     * padding, a mask of ones, positions from 0.
     */
    private List<GenerationOutcome> generate(List<Generation> inputs) throws OrtException {
        GenerationOutcome[] out = new GenerationOutcome[inputs.size()];
        List<LiveSequence> live = new ArrayList<>(inputs.size());
        List<Integer> slots = new ArrayList<>(inputs.size());
        long now = clock.getAsLong();
        for (int i = 0; i < inputs.size(); i++) {
            Generation g = inputs.get(i);
            if (g.deadlineEpochMs() < now) {
                out[i] = new GenerationOutcome.Expired(g.deadlineEpochMs());
            } else {
                live.add(new LiveSequence(g));
                slots.add(i);
            }
        }
        if (!live.isEmpty()) {
            decode(live, slots, out);
        }
        return Arrays.asList(out);
    }

    private void decode(List<LiveSequence> live, List<Integer> slots, GenerationOutcome[] out) throws OrtException {
        long startedNanos = System.nanoTime();
        int rows = live.size();
        int longest = 0;
        for (LiveSequence s : live) {
            longest = Math.max(longest, s.generation().promptTokens());
        }
        int[] padding = new int[rows];
        long[] ids = new long[rows * longest];
        long[] mask = new long[rows * longest];
        long[] positions = new long[rows * longest];
        for (int r = 0; r < rows; r++) {
            long[] prompt = live.get(r).generation().promptIds();
            padding[r] = longest - prompt.length;
            Arrays.fill(ids, r * longest, r * longest + padding[r], tokenizer.eosId());
            for (int j = 0; j < prompt.length; j++) {
                int at = r * longest + padding[r] + j;
                ids[at] = prompt[j];
                mask[at] = 1L;
                positions[at] = j;
            }
        }
        int stepLength = longest;
        int columns = 0;
        KvCache cache = null;
        try {
            while (true) {
                OrtSession.Result result = step(ids, rows, stepLength, mask, columns + stepLength, positions, cache);
                if (cache != null) {
                    cache.close();
                }
                cache = KvCache.borrow(result, presentNames);
                columns += stepLength;
                OnnxTensor logits = (OnnxTensor) result.get(LOGITS).orElseThrow();
                long[] shape = logits.getInfo().getShape();
                int vocabulary = (int) shape[shape.length - 1];
                float[] values = floats(logits);
                long nowMs = clock.getAsLong();
                List<Integer> keep = new ArrayList<>(rows);
                List<Integer> ended = new ArrayList<>();
                for (int r = 0; r < rows; r++) {
                    LiveSequence s = live.get(r);
                    int offset = ((r + 1) * stepLength - 1) * vocabulary;
                    if (s.accept(values, offset, vocabulary, tokenizer.eosId(), tokenizer, nowMs, grace)) {
                        out[slots.get(r)] = s.outcome(tokenizer);
                        ended.add(r);
                    } else {
                        keep.add(r);
                    }
                }
                if (keep.isEmpty()) {
                    return;
                }
                for (int r : ended) {
                    tellEarly(live.get(r).generation(), (GenerationOutcome.Text) out[slots.get(r)], startedNanos);
                }
                if (keep.size() < rows) {
                    int drop = Integer.MAX_VALUE;
                    List<LiveSequence> stillLive = new ArrayList<>(keep.size());
                    List<Integer> stillSlots = new ArrayList<>(keep.size());
                    int[] stillPadding = new int[keep.size()];
                    for (int k = 0; k < keep.size(); k++) {
                        int r = keep.get(k);
                        drop = Math.min(drop, padding[r]);
                        stillLive.add(live.get(r));
                        stillSlots.add(slots.get(r));
                        stillPadding[k] = padding[r];
                    }
                    for (int k = 0; k < stillPadding.length; k++) {
                        stillPadding[k] -= drop;
                    }
                    KvCache kept = cache.keep(env, keep, drop);
                    cache.close();
                    cache = kept;
                    columns -= drop;
                    live = stillLive;
                    slots = stillSlots;
                    padding = stillPadding;
                    rows = keep.size();
                }
                stepLength = 1;
                ids = new long[rows];
                positions = new long[rows];
                mask = new long[rows * (columns + 1)];
                for (int r = 0; r < rows; r++) {
                    LiveSequence s = live.get(r);
                    ids[r] = s.lastToken();
                    positions[r] = s.nextPosition();
                    Arrays.fill(mask, r * (columns + 1) + padding[r], (r + 1) * (columns + 1), 1L);
                }
            }
        } finally {
            if (cache != null) {
                cache.close();
            }
        }
    }

    private static void tellEarly(Generation g, GenerationOutcome.Text outcome, long startedNanos) {
        try {
            g.early().ended(outcome, startedNanos);
        } catch (RuntimeException e) {
            LOG.warn(
                    "An early-result listener of a batched generation failed; its answer comes when the batch ends", e);
        }
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

    /**
     * Runs {@code ids} ({@code rows x length}) after the cached columns, {@code mask} being
     * {@code rows x maskColumns} and {@code positions} like {@code ids}; the caller closes the result.
     */
    private OrtSession.Result step(
            long[] ids, int rows, int length, long[] mask, int maskColumns, long[] positions, KvCache cache)
            throws OrtException {
        Map<String, OnnxTensor> owned = new HashMap<>();
        Map<String, OnnxTensor> feed = new HashMap<>();
        try {
            owned.put(INPUT_IDS, Tensors.int64(env, ids, rows, length));
            if (wantsMask) {
                owned.put(ATTENTION_MASK, Tensors.int64(env, mask, rows, maskColumns));
            }
            if (wantsPositions) {
                owned.put(POSITION_IDS, Tensors.int64(env, positions, rows, length));
            }
            if (wantsCacheBranch) {
                owned.put(USE_CACHE_BRANCH, OnnxTensor.createTensor(env, new boolean[] {cache != null}));
            }
            for (int i = 0; i < pastNames.size(); i++) {
                if (cache == null) {
                    long[] shape = emptyPastShapes.get(i).clone();
                    shape[0] = rows;
                    owned.put(pastNames.get(i), OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape));
                } else {
                    feed.put(pastNames.get(i), cache.layer(i));
                }
            }
            feed.putAll(owned);
            return session.run(feed, outputNames, runs.options());
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
