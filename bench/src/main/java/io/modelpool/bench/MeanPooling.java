package io.modelpool.bench;

import java.nio.FloatBuffer;

/**
 * Sentence-transformers pooling for the raw loops: the mean of the token vectors under the attention mask,
 * then L2 normalisation. It is part of the measured work, as it is in the baseline and the pool.
 */
final class MeanPooling {

    private MeanPooling() {}

    /**
     * Pools one row of a {@code [batch, paddedLength, hidden]} output.
     *
     * @param hiddenStates the model's last hidden state, row-major, positioned anywhere (absolute reads)
     * @param row          the row (sequence) in the batch
     * @param paddedLength the batch's sequence length
     * @param tokens       the row's real token count; positions {@code [tokens, paddedLength)} are padding
     * @param hidden       the hidden size
     * @return the unit-length sentence embedding
     */
    static float[] pool(FloatBuffer hiddenStates, int row, int paddedLength, int tokens, int hidden) {
        float[] sum = new float[hidden];
        int base = row * paddedLength * hidden;
        for (int t = 0; t < tokens; t++) {
            int offset = base + t * hidden;
            for (int h = 0; h < hidden; h++) {
                sum[h] += hiddenStates.get(offset + h);
            }
        }
        double norm = 0;
        for (int h = 0; h < hidden; h++) {
            sum[h] /= tokens;
            norm += (double) sum[h] * sum[h];
        }
        float scale = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int h = 0; h < hidden; h++) {
            sum[h] *= scale;
        }
        return sum;
    }
}
