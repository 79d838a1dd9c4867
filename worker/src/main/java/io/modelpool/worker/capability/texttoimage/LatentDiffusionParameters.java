package io.modelpool.worker.capability.texttoimage;

import io.modelpool.worker.manifest.Durations;
import io.modelpool.worker.manifest.ManifestException;
import io.modelpool.worker.manifest.ModelDefinition;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

/**
 * The {@code latent-diffusion} family's manifest parameters. The model's {@code source} is the denoiser
 * (UNet); {@code tokenizer} is the text encoder's tokenizer.json.
 *
 * @param textEncoder        the text encoder .onnx ({@code input_ids} in, first output the hidden states)
 * @param vaeDecoder         the VAE decoder .onnx (latents in, first output the image in [-1, 1])
 * @param padToken           the token prompts are padded with to {@code textSequenceLength} (CLIP: its EOS)
 * @param textSequenceLength tokens the text encoder sees; longer prompts are cut (CLIP: 77)
 * @param vaeScaling         latents are divided by this before decoding (Stable Diffusion 1.x: 0.18215)
 * @param vaeScaleFactor     image pixels per latent cell along each side (Stable Diffusion: 8)
 * @param latentChannels     channels of the latents when the denoiser's {@code sample} input leaves them
 *                           dynamic, as diffusers' and Optimum's exports do (default 4, Stable Diffusion 1.x, 2.x
 *                           and XL); a denoiser with a fixed channel count must agree with it when it is set
 * @param defaultWidth       width when the request gives none
 * @param defaultHeight      height when the request gives none
 * @param maxPixels          the most width x height one request may ask for (INPUT_TOO_LARGE beyond it)
 * @param maxSteps           the most denoising steps one request may ask for (INPUT_TOO_LARGE beyond it)
 * @param schedule           the training noise schedule (train-timesteps, beta-start, beta-end, beta-schedule)
 * @param shutdownGrace      once the pool is shutting down, how long an image in progress may still run
 *                           before it is cut and abandoned (not answered: the next owner draws it whole)
 */
public record LatentDiffusionParameters(
        String textEncoder,
        String vaeDecoder,
        String padToken,
        int textSequenceLength,
        double vaeScaling,
        int vaeScaleFactor,
        Integer latentChannels,
        int defaultWidth,
        int defaultHeight,
        int maxPixels,
        int maxSteps,
        NoiseSchedule schedule,
        Duration shutdownGrace) {

    public static final String FAMILY = "latent-diffusion";
    /** Latent channels of Stable Diffusion 1.x, 2.x and XL, for a denoiser whose channel dimension is dynamic. */
    public static final int DEFAULT_LATENT_CHANNELS = 4;

    private static final Set<String> KNOWN = Set.of(
            "text-encoder",
            "vae-decoder",
            "pad-token",
            "text-sequence-length",
            "vae-scaling",
            "vae-scale-factor",
            "latent-channels",
            "default-width",
            "default-height",
            "max-pixels",
            "max-steps",
            "train-timesteps",
            "beta-start",
            "beta-end",
            "beta-schedule",
            "shutdown-grace");

    /** Reads and checks the parameters; the exception names the model key, the parameter and the value. */
    public static LatentDiffusionParameters from(ModelDefinition model) {
        Map<String, Object> p = model.parameters();
        String where = "model '" + model.key() + "': parameters.";
        for (String name : p.keySet()) {
            if (!KNOWN.contains(name)) {
                throw new ManifestException(where + name + " is unknown for family " + FAMILY + "; allowed: "
                        + String.join("|", KNOWN.stream().sorted().toList()));
            }
        }
        String encoder = text(p, "text-encoder", null, where);
        String decoder = text(p, "vae-decoder", null, where);
        String pad = text(p, "pad-token", null, where);
        int length = integer(p, "text-sequence-length", 77, 1, 4096, where);
        double scaling = number(p, "vae-scaling", 0.18215, where);
        int factor = integer(p, "vae-scale-factor", 8, 1, 64, where);
        Integer channels = p.containsKey("latent-channels") ? integer(p, "latent-channels", 4, 1, 1024, where) : null;
        int width = integer(p, "default-width", 512, 1, 16384, where);
        int height = integer(p, "default-height", 512, 1, 16384, where);
        int maxPixels = integer(p, "max-pixels", 1024 * 1024, 1, 64 * 1024 * 1024, where);
        int maxSteps = integer(p, "max-steps", 100, 1, 100_000, where);
        int train = integer(p, "train-timesteps", 1000, 2, 100_000, where);
        double betaStart = number(p, "beta-start", 0.00085, where);
        double betaEnd = number(p, "beta-end", 0.012, where);
        String betaSchedule = text(p, "beta-schedule", "scaled-linear", where);
        if (!betaSchedule.equals("scaled-linear") && !betaSchedule.equals("linear")) {
            throw new ManifestException(
                    where + "beta-schedule = '" + betaSchedule + "' is invalid; allowed: scaled-linear|linear");
        }
        if (width % factor != 0 || height % factor != 0) {
            throw new ManifestException(where + "default-width/default-height = " + width + "x" + height
                    + " is invalid; allowed: multiples of vae-scale-factor (" + factor + ")");
        }
        Object graceValue = p.getOrDefault("shutdown-grace", "3s");
        Duration grace;
        try {
            grace = Durations.parse(String.valueOf(graceValue));
        } catch (IllegalArgumentException e) {
            throw new ManifestException(where + "shutdown-grace = '" + graceValue
                    + "' is invalid; allowed: a duration such as 500ms or 3s");
        }
        return new LatentDiffusionParameters(
                encoder,
                decoder,
                pad,
                length,
                scaling,
                factor,
                channels,
                width,
                height,
                maxPixels,
                maxSteps,
                new NoiseSchedule(train, betaStart, betaEnd, betaSchedule.equals("scaled-linear")),
                grace);
    }

    private static String text(Map<String, Object> p, String name, String fallback, String where) {
        Object value = p.get(name);
        if (value == null && fallback != null) {
            return fallback;
        }
        if (!(value instanceof String s) || s.isBlank()) {
            throw new ManifestException(where + name + " = '" + value + "' is invalid; allowed: a non-empty string"
                    + (fallback == null ? " (required)" : ""));
        }
        return s;
    }

    private static int integer(Map<String, Object> p, String name, int fallback, int min, int max, String where) {
        Object value = p.getOrDefault(name, fallback);
        if (!(value instanceof Integer n) || n < min || n > max) {
            throw new ManifestException(
                    where + name + " = '" + value + "' is invalid; allowed: an integer from " + min + " to " + max);
        }
        return n;
    }

    private static double number(Map<String, Object> p, String name, double fallback, String where) {
        Object value = p.getOrDefault(name, fallback);
        if (!(value instanceof Number n) || !(n.doubleValue() > 0) || Double.isInfinite(n.doubleValue())) {
            throw new ManifestException(where + name + " = '" + value + "' is invalid; allowed: a positive number");
        }
        return n.doubleValue();
    }
}
