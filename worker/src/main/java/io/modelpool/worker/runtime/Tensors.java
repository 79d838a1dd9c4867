package io.modelpool.worker.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.Map;

/** Small helpers around ONNX tensors; every tensor they create is the caller's to close. */
public final class Tensors {

    private Tensors() {
    }

    /** A {@code [rows, cols]} int64 tensor over {@code data} (row-major, length rows x cols). */
    public static OnnxTensor int64(OrtEnvironment env, long[] data, int rows, int cols) throws OrtException {
        return OnnxTensor.createTensor(env, LongBuffer.wrap(data), new long[] {rows, cols});
    }

    /**
     * A float output as a buffer without copying when ONNX Runtime exposes its memory, else as a copy. The
     * buffer is valid only until {@code result} is closed.
     */
    public static FloatBuffer floats(OrtSession.Result result, String name) throws OrtException {
        OnnxValue value = result.get(name).orElseThrow(() -> new OrtException("model has no output '" + name + "'"));
        if (!(value instanceof OnnxTensor tensor)) {
            throw new OrtException("output '" + name + "' is not a tensor but " + value.getType());
        }
        return tensor.getBufferRef()
                .filter(FloatBuffer.class::isInstance)
                .map(FloatBuffer.class::cast)
                .orElseGet(tensor::getFloatBuffer);
    }

    /** Closes every tensor in {@code inputs}. */
    public static void closeAll(Map<String, OnnxTensor> inputs) {
        for (OnnxTensor t : inputs.values()) {
            t.close();
        }
    }
}
