package io.modelpool.worker.capability.imageembedding;

import ai.onnxruntime.OrtException;
import java.util.Arrays;

/**
 * Reduces one batch item of an image encoder's output to a vector, as the manifest's {@code pooling} string says
 * (not to be confused with the text encoder's token pooling, {@code textembedding.Pooling}).
 */
final class OutputPooling {

    private OutputPooling() {}

    /**
     * @param values  the whole output, row-major
     * @param offset  where the item starts
     * @param shape   the output's shape, batch first
     * @param pooling {@code none} (flatten), {@code mean}/{@code max} (over tokens of [B, T, D], over
     *                positions of [B, C, H, W]), {@code cls} (token 0 of [B, T, D])
     */
    static float[] pool(float[] values, int offset, long[] shape, String pooling) throws OrtException {
        int per = 1;
        for (int i = 1; i < shape.length; i++) {
            per *= (int) shape[i];
        }
        if (pooling.equals("none")) {
            return Arrays.copyOfRange(values, offset, offset + per);
        }
        if (shape.length == 3) {
            int tokens = (int) shape[1];
            int dim = (int) shape[2];
            if (pooling.equals("cls")) {
                return Arrays.copyOfRange(values, offset, offset + dim);
            }
            float[] out = reduceStart(pooling, dim);
            for (int t = 0; t < tokens; t++) {
                for (int d = 0; d < dim; d++) {
                    out[d] = reduce(pooling, out[d], values[offset + t * dim + d]);
                }
            }
            return finish(pooling, out, tokens);
        }
        if (shape.length == 4 && !pooling.equals("cls")) {
            int channels = (int) shape[1];
            int positions = (int) (shape[2] * shape[3]);
            float[] out = reduceStart(pooling, channels);
            for (int c = 0; c < channels; c++) {
                for (int q = 0; q < positions; q++) {
                    out[c] = reduce(pooling, out[c], values[offset + c * positions + q]);
                }
            }
            return finish(pooling, out, positions);
        }
        throw new OrtException("pooling '" + pooling + "' does not fit an output of shape " + Arrays.toString(shape)
                + "; mean and max need [batch, tokens, dim] or [batch, channels, h, w], cls [batch, tokens, dim]");
    }

    private static float[] reduceStart(String pooling, int size) {
        float[] out = new float[size];
        if (pooling.equals("max")) {
            Arrays.fill(out, Float.NEGATIVE_INFINITY);
        }
        return out;
    }

    private static float reduce(String pooling, float acc, float v) {
        return pooling.equals("max") ? Math.max(acc, v) : acc + v;
    }

    private static float[] finish(String pooling, float[] out, int count) {
        if (pooling.equals("mean")) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= count;
            }
        }
        return out;
    }
}
