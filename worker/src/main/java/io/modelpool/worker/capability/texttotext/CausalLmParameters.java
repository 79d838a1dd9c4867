package io.modelpool.worker.capability.texttotext;

import io.modelpool.worker.manifest.Durations;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The {@code causal-lm} family's manifest parameters.
 *
 * @param eosToken        the tokenizer's end-of-sequence token as text (for example {@code </s>} or
 *                        {@code <|endoftext|>}); it must be one token of the tokenizer (required)
 * @param maxNewTokens    the most tokens one request may ask for; a request asking for more is refused with
 *                        INPUT_TOO_LARGE (default 256, at most 1,000,000)
 * @param maxPromptTokens the most prompt tokens; a longer prompt is refused with INPUT_TOO_LARGE (default
 *                        1024, at most 1,000,000)
 * @param shutdownGrace   once the pool is shutting down, how long generations in flight may still run before
 *                        they are cut and abandoned (not answered: the partition's next owner runs them whole);
 *                        below the worker's {@code shutdown.drain-timeout-ms}, so the drain need not time out
 *                        (default 3s)
 */
public record CausalLmParameters(String eosToken, int maxNewTokens, int maxPromptTokens, Duration shutdownGrace) {

    public static final String FAMILY = "causal-lm";
    private static final Set<String> KNOWN =
            Set.of("eos-token", "max-new-tokens", "max-prompt-tokens", "shutdown-grace");

    /** Reads and checks the parameters; the exception names the model key, the parameter and the value. */
    public static CausalLmParameters from(ModelDefinition model) {
        Map<String, Object> p = model.parameters();
        String where = "model '" + model.key() + "': parameters.";
        for (String name : p.keySet()) {
            if (!KNOWN.contains(name)) {
                throw new ManifestException(where + name + " is unknown for family " + FAMILY + "; allowed: "
                        + String.join("|", KNOWN.stream().sorted().toList()));
            }
        }
        Object eos = p.get("eos-token");
        if (!(eos instanceof String eosToken) || eosToken.isEmpty()) {
            throw new ManifestException(where + "eos-token = '" + eos
                    + "' is invalid; allowed: the tokenizer's end-of-sequence token, for example </s>");
        }
        int maxNew = count(p, "max-new-tokens", 256, where);
        int maxPrompt = count(p, "max-prompt-tokens", 1024, where);
        Object graceValue = p.getOrDefault("shutdown-grace", "3s");
        Duration grace;
        try {
            grace = Durations.parse(String.valueOf(graceValue));
        } catch (IllegalArgumentException e) {
            throw new ManifestException(where + "shutdown-grace = '" + graceValue
                    + "' is invalid; allowed: a duration such as 500ms or 3s");
        }
        return new CausalLmParameters(eosToken, maxNew, maxPrompt, grace);
    }

    private static int count(Map<String, Object> p, String name, int fallback, String where) {
        Object value = p.getOrDefault(name, fallback);
        if (!(value instanceof Integer n) || n < 1 || n > 1_000_000) {
            throw new ManifestException(
                    where + name + " = '" + value + "' is invalid; allowed: an integer from 1 to 1000000");
        }
        return n;
    }
}
