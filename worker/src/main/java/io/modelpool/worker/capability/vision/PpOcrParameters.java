package io.modelpool.worker.capability.vision;

import io.modelpool.worker.capability.image.FamilyParameters;
import io.modelpool.worker.manifest.ModelDefinition;
import java.util.List;
import java.util.Set;

/**
 * The {@code pp-ocr} family's manifest parameters. The model's {@code source} is the DB text detector.
 *
 * @param recognizer        the CTC recognition model (required)
 * @param classifier        the text-orientation classifier (required; {@code classify: false} skips it)
 * @param keys              the recognition dictionary, one character per line; class 0 is the CTC blank and
 *                          the class after the last key is a space (required)
 * @param classify          run the orientation classifier and turn lines it reads as upside down (default true)
 * @param detLimitSideLen   detection input bound in pixels (default 4096)
 * @param detLimitMin       {@code det-limit-type: min} scales the shorter side up to at least the bound;
 *                          {@code max} (default) scales the longer side down to at most the bound
 * @param detPadding        white border, in page pixels, added on every side before detection, so that text
 *                          touching the edge gets a whole box and its crop sees background (default 50)
 * @param detDilate         dilate the binarised map by a 3 x 3 square before finding components, as RapidOCR
 *                          does (default false, see docs/models.md)
 * @param binaryThreshold   probability above which a pixel is text (default 0.3)
 * @param boxThreshold      mean probability a box needs to be kept (default 0.5)
 * @param unclipRatio       how far a box grows beyond the shrunk text kernel (default 1.6)
 * @param maxCandidates     most components considered per page (default 1000)
 * @param minScore          lines recognised with a lower mean confidence are dropped (default 0.5)
 * @param classifyThreshold confidence the classifier needs before a line is turned (default 0.9)
 * @param classifyByPage    {@code classify-vote: page} (default) turns all of a page's lines when most of them
 *                          read upside down and none otherwise; {@code line} turns each line on its own
 * @param spaceThreshold    restores spaces the recogniser drops on Latin lines: a space goes between two
 *                          characters when the space class's probability on a blank CTC step between them
 *                          exceeds this; 0 turns it off (default 0.025, see docs/models.md)
 * @param latinPunctuation  on lines of mostly Latin letters, full-width and CJK punctuation becomes its ASCII
 *                          form (default true, see docs/models.md)
 * @param recMaxWidth       the widest recognition input; wider lines are squeezed (default 3200)
 * @param recBatch          most lines per recognition or classification run (default 16)
 */
public record PpOcrParameters(
        String recognizer,
        String classifier,
        String keys,
        boolean classify,
        int detLimitSideLen,
        boolean detLimitMin,
        int detPadding,
        boolean detDilate,
        double binaryThreshold,
        double boxThreshold,
        double unclipRatio,
        int maxCandidates,
        double minScore,
        double classifyThreshold,
        boolean classifyByPage,
        double spaceThreshold,
        boolean latinPunctuation,
        int recMaxWidth,
        int recBatch) {

    public static final String FAMILY = "pp-ocr";
    /** Recognition and classification input height, fixed by the PP-OCR models. */
    public static final int LINE_HEIGHT = 48;
    /** Narrowest recognition input: shorter lines are padded to it, as PP-OCR trains them. */
    public static final int REC_MIN_WIDTH = 320;
    /** Classifier input width, fixed by the model. */
    public static final int CLS_WIDTH = 192;

    private static final Set<String> KNOWN = Set.of(
            "recognizer",
            "classifier",
            "keys",
            "classify",
            "det-limit-side-len",
            "det-limit-type",
            "det-padding",
            "det-dilate",
            "binary-threshold",
            "box-threshold",
            "unclip-ratio",
            "max-candidates",
            "min-score",
            "classify-threshold",
            "classify-vote",
            "space-threshold",
            "latin-punctuation",
            "rec-max-width",
            "rec-batch");

    /** Reads and checks the parameters; the exception names the model key, the parameter and the value. */
    public static PpOcrParameters from(ModelDefinition model) {
        FamilyParameters p = new FamilyParameters(model, FAMILY, KNOWN);
        return new PpOcrParameters(
                p.location("recognizer"),
                p.location("classifier"),
                p.location("keys"),
                p.flag("classify", true),
                p.integer("det-limit-side-len", 4096, 32, 16_384),
                p.choice("det-limit-type", "max", List.of("max", "min")).equals("min"),
                p.integer("det-padding", 50, 0, 1024),
                p.flag("det-dilate", false),
                p.number("binary-threshold", 0.3, 0.0, 1.0),
                p.number("box-threshold", 0.5, 0.0, 1.0),
                p.number("unclip-ratio", 1.6, 0.0, 10.0),
                p.integer("max-candidates", 1000, 1, 100_000),
                p.number("min-score", 0.5, 0.0, 1.0),
                p.number("classify-threshold", 0.9, 0.0, 1.0),
                p.choice("classify-vote", "page", List.of("page", "line")).equals("page"),
                p.number("space-threshold", 0.025, 0.0, 1.0),
                p.flag("latin-punctuation", true),
                p.integer("rec-max-width", 3200, REC_MIN_WIDTH, 16_384),
                p.integer("rec-batch", 16, 1, 1024));
    }
}
