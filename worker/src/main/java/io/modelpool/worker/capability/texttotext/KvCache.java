package io.modelpool.worker.capability.texttotext;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The key/value cache the next decode step reads, one float32 {@code [rows, kv heads, columns, head size]}
 * tensor per {@code past_key_values.N.key|value} input.
 *
 * <p>Normally it borrows the previous step's {@code present.*} outputs, which are fed back without a copy;
 * closing it closes that step's result. When sequences of a batch end, {@link #keep} copies the rows still
 * decoding into tensors of their own and drops the leading columns that are padding in every kept row, so
 * ended sequences cost nothing in later steps (the rows of a left-padded batch share one column count; a
 * row's padding is masked out by the attention mask).
 *
 * <p>Not thread-safe: used on the runner's thread.
 */
final class KvCache implements AutoCloseable {

    private final List<OnnxTensor> layers;
    private final Runnable owner;

    private KvCache(List<OnnxTensor> layers, Runnable owner) {
        this.layers = layers;
        this.owner = owner;
    }

    /** The {@code names} outputs of {@code result}, in order; closing the cache closes {@code result}. */
    static KvCache borrow(OrtSession.Result result, List<String> names) throws OrtException {
        List<OnnxTensor> layers = new ArrayList<>(names.size());
        for (String name : names) {
            layers.add((OnnxTensor)
                    result.get(name).orElseThrow(() -> new OrtException("model has no output '" + name + "'")));
        }
        return new KvCache(layers, result::close);
    }

    /** The tensor for the {@code index}-th past input. */
    OnnxTensor layer(int index) {
        return layers.get(index);
    }

    /**
     * A copy holding only {@code rows} (indices into this cache, in the order given) and only the columns from
     * {@code dropColumns} on. This cache stays open; the caller closes both.
     */
    KvCache keep(OrtEnvironment env, List<Integer> rows, int dropColumns) throws OrtException {
        List<OnnxTensor> copies = new ArrayList<>(layers.size());
        try {
            for (OnnxTensor t : layers) {
                copies.add(keep(env, t, rows, dropColumns));
            }
        } catch (OrtException | RuntimeException e) {
            copies.forEach(OnnxTensor::close);
            throw e;
        }
        return new KvCache(copies, () -> copies.forEach(OnnxTensor::close));
    }

    private static OnnxTensor keep(OrtEnvironment env, OnnxTensor tensor, List<Integer> rows, int drop)
            throws OrtException {
        long[] shape = tensor.getInfo().getShape();
        int heads = (int) shape[1];
        int columns = (int) shape[2];
        int size = (int) shape[3];
        int keptColumns = columns - drop;
        FloatBuffer source = tensor.getFloatBuffer();
        FloatBuffer target = ByteBuffer.allocateDirect(rows.size() * heads * keptColumns * size * Float.BYTES)
                .order(ByteOrder.nativeOrder())
                .asFloatBuffer();
        int span = keptColumns * size;
        for (int row : rows) {
            for (int h = 0; h < heads; h++) {
                int from = ((row * heads + h) * columns + drop) * size;
                target.put(source.slice(from, span));
            }
        }
        target.rewind();
        return OnnxTensor.createTensor(env, target, new long[] {rows.size(), heads, keptColumns, size});
    }

    @Override
    public void close() {
        owner.run();
    }
}
