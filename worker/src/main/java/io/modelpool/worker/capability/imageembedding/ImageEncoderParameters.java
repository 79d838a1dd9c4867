package io.modelpool.worker.capability.imageembedding;

import io.modelpool.worker.capability.image.FamilyParameters;
import io.modelpool.worker.manifest.ModelDefinition;
import java.util.List;
import java.util.Set;

/**
 * The {@code image-encoder} family's manifest parameters: how an image becomes the model's input tensor and
 * which output becomes the embedding. Fits CLIP-style vision towers and CNN backbones exported to ONNX.
 *
 * @param width        model input width in pixels (required)
 * @param height       model input height in pixels (required)
 * @param centerCrop   {@code resize: center-crop} (default) scales the image so it covers width x height and
 *                     cuts out the centre, keeping the aspect ratio (CLIP); {@code stretch} scales each side
 *                     to its size
 * @param rescale      factor applied to 0..255 values before mean and std (default 1/255)
 * @param mean         per-channel mean subtracted after rescaling, in {@code channel-order} (default 0 0 0)
 * @param std          per-channel divisor after the mean (default 1 1 1)
 * @param bgr          {@code channel-order: bgr} feeds blue first; {@code rgb} (default) red first
 * @param nhwc         {@code layout: nhwc} feeds [batch, height, width, 3]; {@code nchw} (default)
 *                     [batch, 3, height, width]
 * @param input        the input tensor's name (default: the model's first input)
 * @param output       the output tensor holding the embedding (required)
 * @param pooling      {@code none} (default: the item's output flattened), {@code mean} or {@code max} (over
 *                     tokens of a [batch, tokens, dim] output, or over positions of a [batch, channels, h, w]
 *                     one), {@code cls} (the first token of a [batch, tokens, dim] output)
 * @param normalize    L2-normalise the vector (default false)
 */
public record ImageEncoderParameters(
        int width,
        int height,
        boolean centerCrop,
        float rescale,
        float[] mean,
        float[] std,
        boolean bgr,
        boolean nhwc,
        String input,
        String output,
        String pooling,
        boolean normalize) {

    public static final String FAMILY = "image-encoder";

    private static final Set<String> KNOWN = Set.of(
            "width",
            "height",
            "resize",
            "rescale",
            "mean",
            "std",
            "channel-order",
            "layout",
            "input",
            "output",
            "pooling",
            "normalize");

    /** Reads and checks the parameters; the exception names the model key, the parameter and the value. */
    public static ImageEncoderParameters from(ModelDefinition model) {
        FamilyParameters p = new FamilyParameters(model, FAMILY, KNOWN);
        return new ImageEncoderParameters(
                p.integer("width", null, 1, 8192),
                p.integer("height", null, 1, 8192),
                p.choice("resize", "center-crop", List.of("center-crop", "stretch"))
                        .equals("center-crop"),
                (float) p.number("rescale", 1.0 / 255, 1e-9, 1e9),
                p.numbers("mean", new float[] {0f, 0f, 0f}, 3, false),
                p.numbers("std", new float[] {1f, 1f, 1f}, 3, true),
                p.choice("channel-order", "rgb", List.of("rgb", "bgr")).equals("bgr"),
                p.choice("layout", "nchw", List.of("nchw", "nhwc")).equals("nhwc"),
                p.text("input", null),
                p.required("output"),
                p.choice("pooling", "none", List.of("none", "mean", "max", "cls")),
                p.flag("normalize", false));
    }
}
