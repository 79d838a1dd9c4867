package io.modelpool.worker.capability.textembedding;

import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code encoder-embedding} family's manifest parameters.
 *
 * @param pooling           {@code mean|cls} (default mean)
 * @param normalize         L2-normalise the pooled vector (default true)
 * @param maxSequenceLength tokens the model sees, special tokens included; longer texts are truncated and
 *                          flagged (default 512)
 * @param queryPrefix       prepended to QUERY inputs (default none; e5 uses {@code "query: "})
 * @param passagePrefix     prepended to DOCUMENT inputs (default none; e5 uses {@code "passage: "})
 * @param perTokenQuantization {@code activation-quantization: per-token} rewrites a dynamically quantised int8
 *                          model at load so that each token's activations get their own scale
 *                          ({@link io.modelpool.worker.runtime.PerTokenQuantization}): batched results are then
 *                          bitwise those of each text alone, so a batch-invariant model can batch.
 *                          {@code as-exported} (default) runs the file as it is
 */
public record EncoderEmbeddingParameters(
        Pooling pooling,
        boolean normalize,
        int maxSequenceLength,
        String queryPrefix,
        String passagePrefix,
        boolean perTokenQuantization) {

    public static final String FAMILY = "encoder-embedding";
    private static final Set<String> KNOWN = Set.of(
            "pooling", "normalize", "max-sequence-length", "query-prefix", "passage-prefix", "activation-quantization");

    /** Reads and checks the parameters; the exception names the model key, the parameter and the value. */
    public static EncoderEmbeddingParameters from(ModelDefinition model) {
        Map<String, Object> p = model.parameters();
        String where = "model '" + model.key() + "': parameters.";
        for (String name : p.keySet()) {
            if (!KNOWN.contains(name)) {
                throw new ManifestException(where + name + " is unknown for family " + FAMILY + "; allowed: "
                        + String.join("|", KNOWN.stream().sorted().toList()));
            }
        }
        Object poolingValue = p.getOrDefault("pooling", "mean");
        Pooling pooling = switch (String.valueOf(poolingValue).toLowerCase(Locale.ROOT)) {
            case "mean" -> Pooling.MEAN;
            case "cls" -> Pooling.CLS;
            default ->
                throw new ManifestException(where + "pooling = '" + poolingValue + "' is invalid; allowed: mean|cls");
        };
        Object normalizeValue = p.getOrDefault("normalize", Boolean.TRUE);
        if (!(normalizeValue instanceof Boolean normalize)) {
            throw new ManifestException(where + "normalize = '" + normalizeValue + "' is invalid; allowed: true|false");
        }
        Object lengthValue = p.getOrDefault("max-sequence-length", 512);
        if (!(lengthValue instanceof Integer length) || length < 3 || length > 8192) {
            throw new ManifestException(where + "max-sequence-length = '" + lengthValue
                    + "' is invalid; allowed: an integer from 3 to 8192");
        }
        Object quantizationValue = p.getOrDefault("activation-quantization", "as-exported");
        boolean perToken = switch (String.valueOf(quantizationValue).toLowerCase(Locale.ROOT)) {
            case "per-token" -> true;
            case "as-exported" -> false;
            default ->
                throw new ManifestException(where + "activation-quantization = '" + quantizationValue
                        + "' is invalid; allowed: per-token|as-exported");
        };
        return new EncoderEmbeddingParameters(
                pooling, normalize, length, text(p, "query-prefix", where), text(p, "passage-prefix", where), perToken);
    }

    private static String text(Map<String, Object> p, String name, String where) {
        Object value = p.get(name);
        if (value == null) {
            return "";
        }
        if (!(value instanceof String s)) {
            throw new ManifestException(where + name + " = '" + value + "' is invalid; allowed: a string");
        }
        return s;
    }
}
