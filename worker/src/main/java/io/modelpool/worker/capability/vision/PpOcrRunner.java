package io.modelpool.worker.capability.vision;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.image.BgrImage;
import io.modelpool.worker.capability.image.CorruptImageException;
import io.modelpool.worker.capability.image.ImageDecoder;
import io.modelpool.worker.capability.image.ImageOps;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.TerminableRuns;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Reads a batch of pages with PP-OCR's three models, the way PaddleOCR's {@code TextSystem} does:
 * <ol>
 *   <li>per page: decode; detection input scaled by {@code det-limit-side-len} to multiples of 32, BGR,
 *       ImageNet mean and std; the probability map to boxes ({@link DbPostProcess}); reading order
 *       ({@link ReadingOrder}); each box straightened into a line image, turned upright when it stands
 *       at least 1.5 times taller than wide;</li>
 *   <li>for the lines of every page in the batch together: the orientation classifier (48 x 192, BGR,
 *       (x/255 - 0.5)/0.5, zero padding) turns lines it reads as upside down by more than
 *       {@code classify-threshold};</li>
 *   <li>recognition (48 px high, BGR, (x/255 - 0.5)/0.5, zero padding on the right), greedy CTC
 *       ({@link CtcDecoder}); lines under {@code min-score} or empty are dropped.</li>
 * </ol>
 *
 * <p>Batch invariance: a line's recognition input is padded to its own width bucket (at least 320, rounded up
 * to a multiple of 32), never to the widest line of the batch, and only lines of one bucket share a run, so a
 * line's text and confidence do not depend on the other pages in the batch. Classifier inputs are all
 * 48 x 192, and detection runs one page at a time.
 *
 * <p>Memory: a page's raster lives only until its lines are cut out, so a batch holds one full raster at a
 * time. Owned by one pool worker thread; the sessions are this runner's alone and closed by {@link #close()}.
 */
public final class PpOcrRunner implements BatchRunner<OcrPage, OcrOutcome> {

    private static final float[] DET_MEAN = {0.485f, 0.456f, 0.406f};
    private static final float[] DET_STD = {0.229f, 0.224f, 0.225f};

    private final OrtEnvironment env;
    private final OrtSession detector;
    private final OrtSession classifier;
    private final OrtSession recognizer;
    private final CtcDecoder decoder;
    private final PpOcrParameters parameters;
    private final LongSupplier clock;
    private final TerminableRuns runs;

    /** Sessions are taken over: closed by {@link #close()}; {@code classifier} may be null when not used. */
    public PpOcrRunner(
            OrtEnvironment env,
            OrtSession detector,
            OrtSession classifier,
            OrtSession recognizer,
            CtcDecoder decoder,
            PpOcrParameters parameters,
            LongSupplier clock)
            throws OrtException {
        this.env = env;
        this.detector = detector;
        this.classifier = classifier;
        this.recognizer = recognizer;
        this.decoder = decoder;
        this.parameters = parameters;
        this.clock = clock;
        this.runs = new TerminableRuns();
    }

    /** A line cut from a page, with what became of it. */
    private static final class Line {
        final int page;
        final float[] quad;
        BgrImage image;
        CtcDecoder.Decoded read;

        Line(int page, float[] quad, BgrImage image) {
            this.page = page;
            this.quad = quad;
            this.image = image;
        }
    }

    @Override
    public List<OcrOutcome> run(List<OcrPage> pages) throws OrtException {
        OcrOutcome[] outcomes = new OcrOutcome[pages.size()];
        long now = clock.getAsLong();
        List<Line> lines = new ArrayList<>();
        for (int i = 0; i < pages.size(); i++) {
            OcrPage page = pages.get(i);
            if (page.deadlineEpochMs() < now) {
                outcomes[i] = new OcrOutcome.Expired(page.deadlineEpochMs());
                continue;
            }
            BgrImage image;
            try {
                image = ImageDecoder.decode(page.image());
            } catch (CorruptImageException e) {
                outcomes[i] = new OcrOutcome.Refused(ErrorCode.CORRUPT_IMAGE, e.getMessage());
                continue;
            }
            BgrImage padded = pad(image, parameters.detPadding(), unscaled(image) ? 32 : 1);
            for (float[] box : detect(padded)) {
                BgrImage line = cut(padded, box);
                if (line != null) {
                    lines.add(new Line(i, unpad(box, parameters.detPadding(), image), line));
                }
            }
        }
        if (parameters.classify() && classifier != null) {
            classify(lines, pages.size());
        }
        recognise(lines);
        List<List<OcrLine>> read = new ArrayList<>(pages.size());
        for (int i = 0; i < pages.size(); i++) {
            read.add(new ArrayList<>());
        }
        for (Line line : lines) {
            if (!line.read.text().isBlank() && line.read.confidence() >= parameters.minScore()) {
                String text = LineText.finish(line.read, parameters.spaceThreshold(), parameters.latinPunctuation());
                read.get(line.page).add(new OcrLine(text, line.read.confidence(), line.quad));
            }
        }
        for (int i = 0; i < pages.size(); i++) {
            if (outcomes[i] == null) {
                outcomes[i] = new OcrOutcome.Read(List.copyOf(read.get(i)));
            }
        }
        return List.of(outcomes);
    }

    /** True when detection reads the padded page at its own size: the size bound does not shrink or grow it. */
    private boolean unscaled(BgrImage image) {
        int longer = Math.max(image.width(), image.height()) + 2 * parameters.detPadding();
        return !parameters.detLimitMin() && longer <= parameters.detLimitSideLen();
    }

    /**
     * The page with a white border of {@code padding} pixels on every side, and more on the right and bottom up
     * to a multiple of {@code multiple} pixels, so that a page read at its own size is not stretched to the
     * detector's multiple of 32.
     */
    static BgrImage pad(BgrImage image, int padding, int multiple) {
        int w = roundUp(image.width() + 2 * padding, multiple);
        int h = roundUp(image.height() + 2 * padding, multiple);
        if (w == image.width() && h == image.height()) {
            return image;
        }
        byte[] out = new byte[w * h * 3];
        Arrays.fill(out, (byte) 0xFF);
        int row = image.width() * 3;
        for (int y = 0; y < image.height(); y++) {
            System.arraycopy(image.data(), y * row, out, ((y + padding) * w + padding) * 3, row);
        }
        return new BgrImage(w, h, out);
    }

    private static int roundUp(int size, int multiple) {
        return (size + multiple - 1) / multiple * multiple;
    }

    /** A box found on the padded page, in the page's own pixels, clipped to it. */
    private static float[] unpad(float[] box, int padding, BgrImage page) {
        float[] out = new float[8];
        for (int i = 0; i < 4; i++) {
            out[2 * i] = Math.min(Math.max(box[2 * i] - padding, 0), page.width() - 1);
            out[2 * i + 1] = Math.min(Math.max(box[2 * i + 1] - padding, 0), page.height() - 1);
        }
        return out;
    }

    /** Text boxes of one (padded) page in reading order, in its pixels. */
    List<float[]> detect(BgrImage image) throws OrtException {
        int w = image.width();
        int h = image.height();
        double limit = parameters.detLimitSideLen();
        double ratio = 1.0;
        if (parameters.detLimitMin()) {
            if (Math.min(w, h) < limit) {
                ratio = limit / Math.min(w, h);
            }
        } else if (Math.max(w, h) > limit) {
            ratio = limit / Math.max(w, h);
        }
        int rw = Math.max((int) Math.round(w * ratio / 32) * 32, 32);
        int rh = Math.max((int) Math.round(h * ratio / 32) * 32, 32);
        BgrImage resized = ImageOps.resize(image, rw, rh);
        float[] input = new float[3 * rw * rh];
        byte[] px = resized.data();
        int plane = rw * rh;
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                input[c * plane + p] = ((px[p * 3 + c] & 0xFF) / 255f - DET_MEAN[c]) / DET_STD[c];
            }
        }
        float[] prob = run(detector, input, new long[] {1, 3, rh, rw});
        List<float[]> kept = new ArrayList<>();
        for (float[] box : DbPostProcess.boxes(prob, rw, rh, w, h, parameters)) {
            for (int i = 0; i < 4; i++) {
                box[2 * i] = Math.min(Math.max(box[2 * i], 0), w - 1);
                box[2 * i + 1] = Math.min(Math.max(box[2 * i + 1], 0), h - 1);
            }
            int bw = (int) Math.hypot(box[2] - box[0], box[3] - box[1]);
            int bh = (int) Math.hypot(box[6] - box[0], box[7] - box[1]);
            if (bw > 3 && bh > 3) {
                kept.add(box);
            }
        }
        return ReadingOrder.sort(kept);
    }

    /** The box straightened into a line image, a quarter turn upright when tall; null when degenerate. */
    private static BgrImage cut(BgrImage image, float[] q) {
        int cw = (int) Math.max(Math.hypot(q[2] - q[0], q[3] - q[1]), Math.hypot(q[4] - q[6], q[5] - q[7]));
        int ch = (int) Math.max(Math.hypot(q[6] - q[0], q[7] - q[1]), Math.hypot(q[4] - q[2], q[5] - q[3]));
        if (cw < 1 || ch < 1) {
            return null;
        }
        BgrImage line = ImageOps.crop(image, q, cw, ch);
        return (double) ch / cw >= 1.5 ? ImageOps.rotate90(line) : line;
    }

    /**
     * Turns upside-down lines upright: each line the classifier reads as upside down with more than
     * {@code classify-threshold}, or, with {@code classify-vote: page}, every line of a page where most lines
     * read so and none elsewhere.
     */
    private void classify(List<Line> lines, int pageCount) throws OrtException {
        int height = PpOcrParameters.LINE_HEIGHT;
        int width = PpOcrParameters.CLS_WIDTH;
        boolean[] flip = new boolean[lines.size()];
        for (int from = 0; from < lines.size(); from += parameters.recBatch()) {
            List<Line> chunk = lines.subList(from, Math.min(lines.size(), from + parameters.recBatch()));
            float[] input = new float[chunk.size() * 3 * height * width];
            for (int i = 0; i < chunk.size(); i++) {
                fillLine(input, i, middle(chunk.get(i).image, (double) width / height), width, width);
            }
            float[] probs = run(classifier, input, new long[] {chunk.size(), 3, height, width});
            int classes = probs.length / chunk.size();
            for (int i = 0; i < chunk.size(); i++) {
                float upright = probs[i * classes];
                float flipped = probs[i * classes + 1];
                flip[from + i] = flipped > upright && flipped > parameters.classifyThreshold();
            }
        }
        if (parameters.classifyByPage()) {
            int[] votes = new int[pageCount];
            int[] counts = new int[pageCount];
            for (int i = 0; i < lines.size(); i++) {
                counts[lines.get(i).page]++;
                votes[lines.get(i).page] += flip[i] ? 1 : 0;
            }
            for (int i = 0; i < lines.size(); i++) {
                int page = lines.get(i).page;
                flip[i] = 2 * votes[page] > counts[page];
            }
        }
        for (int i = 0; i < lines.size(); i++) {
            if (flip[i]) {
                lines.get(i).image = ImageOps.rotate180(lines.get(i).image);
            }
        }
    }

    /**
     * The middle of a line at most {@code aspect} times as wide as high: the classifier's 48 x 192 input would
     * squeeze a whole long line past reading, and any stretch of a line shows which way up it stands.
     */
    static BgrImage middle(BgrImage line, double aspect) {
        int width = (int) Math.ceil(line.height() * aspect);
        if (line.width() <= width) {
            return line;
        }
        int left = (line.width() - width) / 2;
        byte[] out = new byte[width * line.height() * 3];
        for (int y = 0; y < line.height(); y++) {
            System.arraycopy(line.data(), (y * line.width() + left) * 3, out, y * width * 3, width * 3);
        }
        return new BgrImage(width, line.height(), out);
    }

    private void recognise(List<Line> lines) throws OrtException {
        List<Line> byWidth = new ArrayList<>(lines);
        byWidth.sort(Comparator.comparingInt(l -> bucket(l.image)));
        int from = 0;
        while (from < byWidth.size()) {
            int width = bucket(byWidth.get(from).image);
            int to = from;
            while (to < byWidth.size() && to - from < parameters.recBatch() && bucket(byWidth.get(to).image) == width) {
                to++;
            }
            List<Line> chunk = byWidth.subList(from, to);
            int height = PpOcrParameters.LINE_HEIGHT;
            float[] input = new float[chunk.size() * 3 * height * width];
            for (int i = 0; i < chunk.size(); i++) {
                fillLine(input, i, chunk.get(i).image, width, parameters.recMaxWidth());
            }
            float[] probs = run(recognizer, input, new long[] {chunk.size(), 3, height, width});
            int perLine = probs.length / chunk.size();
            int classes = decoder.classes();
            if (perLine % classes != 0) {
                throw new OrtException("recognition output has " + perLine + " values per line, not a multiple of "
                        + classes + " classes (the keys file plus blank and space)");
            }
            for (int i = 0; i < chunk.size(); i++) {
                chunk.get(i).read = decoder.decode(probs, i * perLine, perLine / classes, classes);
            }
            from = to;
        }
    }

    /** The line's width once scaled to 48 px high, at most {@code rec-max-width}. */
    private int scaledWidth(BgrImage line) {
        double ratio = (double) line.width() / line.height();
        return (int) Math.max(1, Math.min(parameters.recMaxWidth(), Math.ceil(PpOcrParameters.LINE_HEIGHT * ratio)));
    }

    /** The padded recognition width: at least 320, a multiple of 32, at most {@code rec-max-width}. */
    private int bucket(BgrImage line) {
        int padded = Math.max(PpOcrParameters.REC_MIN_WIDTH, (scaledWidth(line) + 31) / 32 * 32);
        return Math.min(padded, parameters.recMaxWidth());
    }

    /** Writes a line, scaled to 48 px high and at most {@code maxWidth}, into row {@code row} of a NCHW batch. */
    private void fillLine(float[] input, int row, BgrImage line, int width, int maxWidth) {
        int height = PpOcrParameters.LINE_HEIGHT;
        int scaled = Math.min(Math.min(scaledWidth(line), maxWidth), width);
        BgrImage resized = ImageOps.resize(line, scaled, height);
        byte[] px = resized.data();
        int plane = height * width;
        int base = row * 3 * plane;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < scaled; x++) {
                int p = (y * scaled + x) * 3;
                for (int c = 0; c < 3; c++) {
                    input[base + c * plane + y * width + x] = ((px[p + c] & 0xFF) / 255f - 0.5f) / 0.5f;
                }
            }
        }
    }

    private float[] run(OrtSession session, float[] input, long[] shape) throws OrtException {
        String inputName = session.getInputNames().iterator().next();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), shape);
                OrtSession.Result result = session.run(Map.of(inputName, tensor), runs.options())) {
            if (!(result.get(0) instanceof OnnxTensor out)) {
                throw new OrtException("model output 0 is not a tensor");
            }
            FloatBuffer buffer = out.getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            return values;
        }
    }

    @Override
    public void terminate() {
        runs.terminate();
    }

    @Override
    public void close() throws OrtException {
        try {
            detector.close();
        } finally {
            try {
                recognizer.close();
            } finally {
                try {
                    if (classifier != null) {
                        classifier.close();
                    }
                } finally {
                    runs.close();
                }
            }
        }
    }
}
