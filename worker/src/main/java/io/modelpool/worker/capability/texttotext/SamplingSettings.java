package io.modelpool.worker.capability.texttotext;

/**
 * How the next token is chosen from the logits, in the order applied: repetition penalty, then greedy
 * (temperature 0) or temperature, top-k, top-p and a draw from a generator seeded with {@code seed}.
 *
 * @param temperature       0 for greedy; above 0 samples from softmax(logits / temperature)
 * @param topK              keep the k most likely tokens; 0 keeps all
 * @param topP              keep the smallest set of most likely tokens whose probability reaches topP; 1 keeps all
 * @param repetitionPenalty above 1 divides positive logits (multiplies negative ones) of tokens already in
 *                          the prompt or the generated text; 1 disables
 * @param seed              the sampling generator's seed
 */
public record SamplingSettings(float temperature, int topK, float topP, float repetitionPenalty, long seed) {

    public boolean greedy() {
        return temperature <= 0f;
    }
}
