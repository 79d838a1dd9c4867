package io.modelpool.worker.capability.texttotext;

import java.util.List;
import java.util.Objects;

/**
 * One prompt to continue, the pool task of the text-to-text capability.
 *
 * @param promptIds         the prompt's token ids (special tokens as the tokenizer adds them), not empty
 * @param maxNewTokens      the most tokens to generate, already checked against the model's cap
 * @param sampling          how each next token is chosen
 * @param stopStrings       generation ends once the generated text contains one of these, cut before it
 * @param deadlineEpochMs   the request's deadline, or {@link Long#MAX_VALUE} for none
 * @param early             told when the generation ends while others of its batch still decode, so that its
 *                          answer need not wait for the batch; the pool's completion follows when the batch ends
 */
public record Generation(
        long[] promptIds,
        int maxNewTokens,
        SamplingSettings sampling,
        List<String> stopStrings,
        long deadlineEpochMs,
        EarlyResult early) {

    public Generation {
        stopStrings = List.copyOf(stopStrings);
        Objects.requireNonNull(early, "early");
    }

    /** A generation whose answer waits for the pool's completion. */
    public Generation(
            long[] promptIds,
            int maxNewTokens,
            SamplingSettings sampling,
            List<String> stopStrings,
            long deadlineEpochMs) {
        this(promptIds, maxNewTokens, sampling, stopStrings, deadlineEpochMs, EarlyResult.NONE);
    }

    /**
     * Receives the outcome of a generation that ended before the rest of its batch.
     *
     * <p>Called at most once per run, on the pool worker thread that runs the batch, before the pool completes
     * the task (which it still does, with the same outcome, when the batch ends). Must be quick and must not
     * block; an exception thrown here is logged and does not affect the batch.
     */
    @FunctionalInterface
    public interface EarlyResult {

        /** Ignores early outcomes: the answer comes with the pool's completion. */
        EarlyResult NONE = (outcome, startedNanos) -> {};

        /**
         * @param outcome      the generation's final outcome
         * @param startedNanos {@link System#nanoTime()} when its batch started running
         */
        void ended(GenerationOutcome.Text outcome, long startedNanos);
    }

    /** The task's length for the pool: the prompt's tokens. */
    public int promptTokens() {
        return promptIds.length;
    }
}
