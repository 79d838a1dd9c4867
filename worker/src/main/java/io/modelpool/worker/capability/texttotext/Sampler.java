package io.modelpool.worker.capability.texttotext;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses next tokens from logits for one generation, the way Hugging Face's {@code generate} processes
 * them: repetition penalty (CTRL, Keskar et al. 2019: positive logits divided by the penalty, negative ones
 * multiplied), then either the arg-max (greedy; ties go to the lowest id) or temperature scaling, top-k,
 * top-p (nucleus sampling, Holtzman et al. 2019) and one draw from a {@link SplittableRandom} seeded with the
 * request's seed, so the same seed, prompt and parameters give the same tokens on every worker.
 *
 * <p>Not thread-safe: one per generation, used on the thread that runs it.
 */
final class Sampler {

    private final SamplingSettings settings;
    private final SplittableRandom random;
    private final boolean[] seen;
    private final float[] scratch;
    private final Integer[] order;

    /**
     * @param vocabulary the logits' length
     * @param promptIds  tokens that count as already present for the repetition penalty
     */
    Sampler(SamplingSettings settings, int vocabulary, long[] promptIds) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
        this.seen = new boolean[vocabulary];
        this.scratch = new float[vocabulary];
        this.order = new Integer[vocabulary];
        for (long id : promptIds) {
            observe(id);
        }
    }

    /** Marks a token as present, for the repetition penalty. */
    void observe(long id) {
        if (id >= 0 && id < seen.length) {
            seen[(int) id] = true;
        }
    }

    /** The next token for {@code logits} (read from {@code offset}, one float per vocabulary entry). */
    int next(float[] logits, int offset) {
        int v = seen.length;
        System.arraycopy(logits, offset, scratch, 0, v);
        float penalty = settings.repetitionPenalty();
        if (penalty != 1f) {
            for (int i = 0; i < v; i++) {
                if (seen[i]) {
                    scratch[i] = scratch[i] > 0 ? scratch[i] / penalty : scratch[i] * penalty;
                }
            }
        }
        if (settings.greedy()) {
            return argMax(scratch);
        }
        return sample(scratch);
    }

    private int sample(float[] l) {
        int v = l.length;
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> l[b] != l[a] ? Float.compare(l[b], l[a]) : Integer.compare(a, b));
        int keep = settings.topK() > 0 ? Math.min(settings.topK(), v) : v;
        double max = l[order[0]];
        double[] p = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            p[r] = Math.exp((l[order[r]] - max) / settings.temperature());
            sum += p[r];
        }
        if (settings.topP() < 1f) {
            double cumulative = 0;
            int cut = keep;
            for (int r = 0; r < keep; r++) {
                cumulative += p[r] / sum;
                if (cumulative >= settings.topP()) {
                    cut = r + 1;
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int r = 0; r < keep; r++) {
                sum += p[r];
            }
        }
        double u = random.nextDouble() * sum;
        for (int r = 0; r < keep; r++) {
            u -= p[r];
            if (u < 0) {
                return order[r];
            }
        }
        return order[keep - 1];
    }

    private static int argMax(float[] l) {
        int best = 0;
        for (int i = 1; i < l.length; i++) {
            if (l[i] > l[best]) {
                best = i;
            }
        }
        return best;
    }
}
