package io.modelpool.worker.capability.texttotext;

import io.modelpool.v1.FinishReason;
import io.modelpool.worker.capability.ShutdownGrace;
import java.util.Arrays;

/**
 * One generation while it decodes: its sampler, the tokens generated so far and, once it has ended, why.
 *
 * <p>After each step the runner hands it the step's logits row; {@link #accept} chooses the next token and
 * checks, in order: EOS (the token is not emitted), stop strings (the text is cut before the first one), the
 * request's maximum of new tokens, the request's deadline (DEADLINE) and the shutdown grace (SHUTDOWN). The
 * checks depend only on this sequence's own tokens and clock, so a sequence ends at the same token whether it
 * decodes alone or in a batch.
 *
 * <p>Not thread-safe: used on the runner's thread.
 */
final class LiveSequence {

    private final Generation generation;
    private final long[] generated;
    private Sampler sampler;
    private int count;
    private FinishReason reason;
    private String stopCut;

    LiveSequence(Generation generation) {
        this.generation = generation;
        this.generated = new long[generation.maxNewTokens()];
    }

    Generation generation() {
        return generation;
    }

    /** The position of the token the next decode step feeds: the real tokens already in the cache. */
    int nextPosition() {
        return generation.promptTokens() + count - 1;
    }

    /** The token the next decode step feeds: the last one generated. */
    long lastToken() {
        return generated[count - 1];
    }

    /**
     * Chooses the next token from {@code logits} (one row of {@code vocabulary} floats from {@code offset}) and
     * applies the end checks.
     *
     * @return true when the generation has ended; its outcome is then final
     */
    boolean accept(
            float[] logits,
            int offset,
            int vocabulary,
            long eosId,
            LmTokenizer tokenizer,
            long nowMs,
            ShutdownGrace grace) {
        if (sampler == null) {
            sampler = new Sampler(generation.sampling(), vocabulary, generation.promptIds());
        }
        int next = sampler.next(logits, offset);
        if (next == eosId) {
            reason = FinishReason.EOS;
            return true;
        }
        generated[count++] = next;
        sampler.observe(next);
        if (!generation.stopStrings().isEmpty()) {
            stopCut = CausalLmRunner.cutAtStop(
                    tokenizer.decode(Arrays.copyOf(generated, count)), generation.stopStrings());
            if (stopCut != null) {
                reason = FinishReason.STOP_STRING;
                return true;
            }
        }
        if (count == generation.maxNewTokens()) {
            reason = FinishReason.MAX_TOKENS;
            return true;
        }
        if (nowMs > generation.deadlineEpochMs()) {
            reason = FinishReason.DEADLINE;
            return true;
        }
        if (grace.expired()) {
            reason = FinishReason.SHUTDOWN;
            return true;
        }
        return false;
    }

    /** The result; only once {@link #accept} has returned true. */
    GenerationOutcome.Text outcome(LmTokenizer tokenizer) {
        if (reason == null) {
            throw new IllegalStateException("the generation has not ended");
        }
        String text = stopCut != null ? stopCut : tokenizer.decode(Arrays.copyOf(generated, count));
        return new GenerationOutcome.Text(text, generation.promptTokens(), count, reason);
    }
}
