package io.modelpool.worker.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/** Small helpers around ONNX tensors; every tensor they create is the caller's to close. */
public final class Tensors {

    private Tensors() {}

    /** A {@code [rows, cols]} int64 tensor over {@code data} (row-major, length rows x cols). */
    public static OnnxTensor int64(OrtEnvironment env, long[] data, int rows, int cols) throws OrtException {
        return OnnxTensor.createTensor(env, LongBuffer.wrap(data), new long[] {rows, cols});
    }

    /**
     * A float output copied into a heap buffer (ONNX Runtime's Java API offers no view of an output's
     * native memory: {@code getBufferRef()} works only for tensors created from a Java buffer).
     */
    public static FloatBuffer floats(OrtSession.Result result, String name) throws OrtException {
        OnnxValue value = result.get(name).orElseThrow(() -> new OrtException("model has no output '" + name + "'"));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OrtException("output '" + name + "' is not a tensor but " + value.getType());
        }
        return tensor.getFloatBuffer();
    }

    /** A native-order direct buffer of {@code capacity} longs, for tensors ONNX Runtime reads in place. */
    public static LongBuffer directLongs(int capacity) {
        return ByteBuffer.allocateDirect(capacity * Long.BYTES)
                .order(ByteOrder.nativeOrder())
                .asLongBuffer();
    }

    /** Closes every tensor in {@code inputs}. */
    public static void closeAll(Map<String, OnnxTensor> inputs) {
        for (OnnxTensor t : inputs.values()) {
            t.close();
        }
    }
}
