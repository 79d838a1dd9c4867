package io.modelpool.bench;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/**
 * The hand-written ONNX Runtime loops: the ceilings the pool is held to.
 *
 * <p>Layout: {@code workers} platform threads, each owning one session with one intra-op and one inter-op
 * thread, so no ORT thread pool spins and the threads never outnumber the cores. Work is handed out through
 * one atomic counter, so a worker that draws short sequences simply takes more of them.
 *
 * <ul>
 *   <li>{@link Layout#ONE_SEQUENCE_PER_RUN}: each worker tokenizes and runs one sentence at a time. Batch
 *       invariant: a sentence's embedding never depends on its neighbours.</li>
 *   <li>{@link Layout#SORTED_BATCHES}: tokenize everything (both workers), sort by token count, cut into
 *       batches of {@code batchSize} padded to the batch's longest sequence. Not batch invariant on int8:
 *       dynamic quantisation scales each batch by its own range.</li>
 *   <li>{@link Layout#UNSORTED_BATCHES}: the same in corpus order, for reference: the padding this wastes is
 *       why the pool sorts.</li>
 * </ul>
 * Tokenization, the runs and mean pooling with L2 normalisation are all inside the measured pass.
 */
final class RawOrtLoop implements Contender {

    enum Layout {
        ONE_SEQUENCE_PER_RUN,
        SORTED_BATCHES,
        UNSORTED_BATCHES
    }

    private final String key;
    private final Layout layout;
    private final int batchSize;
    private final OrtSession.SessionOptions.OptLevel optLevel;
    private final OrtEnvironment environment;
    private final HuggingFaceTokenizer tokenizer;
    private final List<OrtSession> sessions = new ArrayList<>();
    private final ExecutorService workers;
    private final boolean wantsTokenTypes;
    private final String outputName;

    RawOrtLoop(
            String key,
            Layout layout,
            int workerCount,
            int batchSize,
            OrtSession.SessionOptions.OptLevel optLevel,
            byte[] model,
            HuggingFaceTokenizer tokenizer)
            throws OrtException {
        if (workerCount < 1 || batchSize < 1) {
            throw new IllegalArgumentException(
                    "workers and batch size must be at least 1, were " + workerCount + " and " + batchSize);
        }
        this.key = key;
        this.layout = layout;
        this.batchSize = layout == Layout.ONE_SEQUENCE_PER_RUN ? 1 : batchSize;
        this.optLevel = optLevel;
        this.environment = OrtEnvironment.getEnvironment();
        this.tokenizer = tokenizer;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            options.setOptimizationLevel(optLevel);
            for (int i = 0; i < workerCount; i++) {
                sessions.add(environment.createSession(model, options));
            }
        }
        OrtSession first = sessions.get(0);
        this.wantsTokenTypes = first.getInputNames().contains("token_type_ids");
        this.outputName = first.getOutputNames().contains("last_hidden_state")
                ? "last_hidden_state"
                : first.getOutputNames().iterator().next();
        AtomicInteger threadNumber = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(workerCount, r -> {
            Thread thread = new Thread(r, key + "-" + threadNumber.getAndIncrement());
            thread.setDaemon(true);
            return thread;
        });
    }

    @Override
    public String key() {
        return key;
    }

    @Override
    public String description() {
        String batching = switch (layout) {
            case ONE_SEQUENCE_PER_RUN -> "one sequence per run";
            case SORTED_BATCHES -> "length-sorted batches of " + batchSize + ", padded to the batch max";
            case UNSORTED_BATCHES -> "batches of " + batchSize + " in corpus order, padded to the batch max";
        };
        return "raw ONNX Runtime, " + sessions.size() + " platform threads x 1 session (1 intra-op thread, " + optLevel
                + "), " + batching;
    }

    @Override
    public float[][] embed(List<String> texts) throws Exception {
        float[][] embeddings = new float[texts.size()][];
        if (layout == Layout.ONE_SEQUENCE_PER_RUN) {
            AtomicInteger next = new AtomicInteger();
            onEveryWorker(session -> {
                for (int i = next.getAndIncrement(); i < texts.size(); i = next.getAndIncrement()) {
                    long[][] ids = {tokenizer.encode(texts.get(i)).getIds()};
                    run(session, ids, new int[] {0}, new int[] {i}, embeddings);
                }
            });
            return embeddings;
        }
        long[][] ids = tokenizeAll(texts);
        Integer[] order = IntStream.range(0, texts.size()).boxed().toArray(Integer[]::new);
        if (layout == Layout.SORTED_BATCHES) {
            Arrays.sort(order, Comparator.comparingInt(i -> ids[i].length));
        }
        int batches = (texts.size() + batchSize - 1) / batchSize;
        AtomicInteger nextBatch = new AtomicInteger();
        onEveryWorker(session -> {
            for (int b = nextBatch.getAndIncrement(); b < batches; b = nextBatch.getAndIncrement()) {
                int from = b * batchSize;
                int to = Math.min(from + batchSize, texts.size());
                int[] rows = new int[to - from];
                for (int r = 0; r < rows.length; r++) {
                    rows[r] = order[from + r];
                }
                run(session, ids, rows, rows, embeddings);
            }
        });
        return embeddings;
    }

    private long[][] tokenizeAll(List<String> texts) throws Exception {
        long[][] ids = new long[texts.size()][];
        AtomicInteger next = new AtomicInteger();
        onEveryWorker(session -> {
            for (int i = next.getAndIncrement(); i < texts.size(); i = next.getAndIncrement()) {
                Encoding encoding = tokenizer.encode(texts.get(i));
                ids[i] = encoding.getIds();
            }
        });
        return ids;
    }

    /**
     * Runs one padded batch: {@code rows} index {@code ids}, and row {@code r}'s embedding goes to
     * {@code embeddings[targets[r]]}.
     */
    private void run(OrtSession session, long[][] ids, int[] rows, int[] targets, float[][] embeddings)
            throws OrtException {
        int batch = rows.length;
        int length = 0;
        for (int row : rows) {
            length = Math.max(length, ids[row].length);
        }
        long[] inputIds = new long[batch * length];
        long[] attentionMask = new long[batch * length];
        for (int r = 0; r < batch; r++) {
            long[] sequence = ids[rows[r]];
            System.arraycopy(sequence, 0, inputIds, r * length, sequence.length);
            Arrays.fill(attentionMask, r * length, r * length + sequence.length, 1L);
        }
        long[] shape = {batch, length};
        Map<String, OnnxTensor> inputs = new HashMap<>(4);
        try {
            inputs.put("input_ids", OnnxTensor.createTensor(environment, LongBuffer.wrap(inputIds), shape));
            inputs.put("attention_mask", OnnxTensor.createTensor(environment, LongBuffer.wrap(attentionMask), shape));
            if (wantsTokenTypes) {
                inputs.put(
                        "token_type_ids",
                        OnnxTensor.createTensor(environment, LongBuffer.wrap(new long[batch * length]), shape));
            }
            try (OrtSession.Result result = session.run(inputs)) {
                OnnxTensor hidden = (OnnxTensor) result.get(outputName)
                        .orElseThrow(() -> new IllegalStateException("the model has no output " + outputName));
                FloatBuffer states = hidden.getFloatBuffer();
                for (int r = 0; r < batch; r++) {
                    embeddings[targets[r]] =
                            MeanPooling.pool(states, r, length, ids[rows[r]].length, MiniLm.HIDDEN_SIZE);
                }
            }
        } finally {
            inputs.values().forEach(OnnxTensor::close);
        }
    }

    @FunctionalInterface
    private interface SessionWork {
        void run(OrtSession session) throws Exception;
    }

    /** Runs {@code work} once on every worker thread, each with its own session, and waits for all of them. */
    private void onEveryWorker(SessionWork work) throws Exception {
        List<Future<?>> running = new ArrayList<>(sessions.size());
        for (OrtSession session : sessions) {
            running.add(workers.submit(() -> {
                work.run(session);
                return null;
            }));
        }
        for (Future<?> future : running) {
            try {
                future.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }

    @Override
    public void close() {
        workers.shutdownNow();
        for (OrtSession session : sessions) {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("closing a session of " + key + " failed", e);
            }
        }
    }
}
