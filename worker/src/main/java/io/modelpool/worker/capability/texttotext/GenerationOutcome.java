package io.modelpool.worker.capability.texttotext;

import io.modelpool.v1.FinishReason;

/** What the runner produced for one prompt. */
public sealed interface GenerationOutcome {

    /**
     * The generated text and why generation ended.
     *
     * @param text            generated text without the prompt, EOS and stop string
     * @param promptTokens    tokens in the prompt
     * @param generatedTokens tokens generated, EOS not counted
     * @param finishReason    EOS, MAX_TOKENS, STOP_STRING, DEADLINE or SHUTDOWN
     */
    record Text(String text, int promptTokens, int generatedTokens, FinishReason finishReason)
            implements GenerationOutcome {

        /** Cut short by a deadline or a shutdown rather than ending on its own terms. */
        public boolean truncated() {
            return finishReason == FinishReason.DEADLINE || finishReason == FinishReason.SHUTDOWN;
        }
    }

    /** The request's deadline had passed when its turn came; no inference was spent on it. */
    record Expired(long deadlineEpochMs) implements GenerationOutcome {}
}
