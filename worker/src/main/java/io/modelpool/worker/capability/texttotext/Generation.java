package io.modelpool.worker.capability.texttotext;

import java.util.List;

/**
 * One prompt to continue, the pool task of the text-to-text capability.
 *
 * @param promptIds         the prompt's token ids (special tokens as the tokenizer adds them), not empty
 * @param maxNewTokens      the most tokens to generate, already checked against the model's cap
 * @param sampling          how each next token is chosen
 * @param stopStrings       generation ends once the generated text contains one of these, cut before it
 * @param deadlineEpochMs   the request's deadline, or {@link Long#MAX_VALUE} for none
 */
public record Generation(long[] promptIds, int maxNewTokens, SamplingSettings sampling, List<String> stopStrings,
                         long deadlineEpochMs) {

    public Generation {
        stopStrings = List.copyOf(stopStrings);
    }

    /** The task's length for the pool: the prompt's tokens. */
    public int promptTokens() {
        return promptIds.length;
    }
}
