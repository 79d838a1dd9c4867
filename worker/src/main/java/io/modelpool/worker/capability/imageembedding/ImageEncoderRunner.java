package io.modelpool.worker.capability.imageembedding;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.Vectors;
import io.modelpool.worker.capability.image.BgrImage;
import io.modelpool.worker.capability.image.CorruptImageException;
import io.modelpool.worker.capability.image.ImageDecoder;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.TerminableRuns;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * Runs an image encoder on a batch of images: decode and preprocess each in turn ({@link ImagePreprocessor}),
 * one run over the stacked batch, then per image the named output, pooled and normalised as the manifest says.
 * Images that fail to decode answer {@link ImageEmbeddingOutcome.Refused} and images past their deadline
 * {@link ImageEmbeddingOutcome.Expired}; neither joins the run. Every tensor is closed before {@link #run}
 * returns.
 *
 * <p>Owned by one pool worker thread; the session is this runner's alone.
 */
public final class ImageEncoderRunner implements BatchRunner<EncoderImage, ImageEmbeddingOutcome> {

    private final OrtEnvironment env;
    private final OrtSession session;
    private final ImageEncoderParameters parameters;
    private final ImagePreprocessor preprocessor;
    private final LongSupplier clock;
    private final String inputName;
    private final TerminableRuns runs;

    /**
     * @param session taken over: closed by {@link #close()}
     * @throws OrtException when the session lacks the named input or output
     */
    public ImageEncoderRunner(
            OrtEnvironment env, OrtSession session, ImageEncoderParameters parameters, LongSupplier clock)
            throws OrtException {
        this.env = env;
        this.session = session;
        this.parameters = parameters;
        this.preprocessor = new ImagePreprocessor(parameters);
        this.clock = clock;
        this.inputName = parameters.input() != null
                ? parameters.input()
                : session.getInputNames().iterator().next();
        if (!session.getInputNames().contains(inputName)) {
            throw new OrtException(
                    "image encoder has no input '" + inputName + "'; inputs: " + session.getInputNames());
        }
        if (!session.getOutputNames().contains(parameters.output())) {
            throw new OrtException(
                    "image encoder has no output '" + parameters.output() + "'; outputs: " + session.getOutputNames());
        }
        this.runs = new TerminableRuns();
    }

    @Override
    public List<ImageEmbeddingOutcome> run(List<EncoderImage> images) throws OrtException {
        int n = images.size();
        ImageEmbeddingOutcome[] outcomes = new ImageEmbeddingOutcome[n];
        long now = clock.getAsLong();
        List<Integer> live = new ArrayList<>(n);
        int item = preprocessor.itemSize();
        float[] input = new float[n * item];
        for (int i = 0; i < n; i++) {
            EncoderImage image = images.get(i);
            if (image.deadlineEpochMs() < now) {
                outcomes[i] = new ImageEmbeddingOutcome.Expired(image.deadlineEpochMs());
                continue;
            }
            try {
                // preprocessed at once, so a batch holds one decoded raster at a time
                BgrImage decoded = ImageDecoder.decode(image.image());
                preprocessor.fill(decoded, input, live.size() * item);
                live.add(i);
            } catch (CorruptImageException e) {
                outcomes[i] = new ImageEmbeddingOutcome.Refused(ErrorCode.CORRUPT_IMAGE, e.getMessage());
            }
        }
        if (!live.isEmpty()) {
            float[][] vectors = embed(input, live.size());
            for (int r = 0; r < live.size(); r++) {
                outcomes[live.get(r)] = new ImageEmbeddingOutcome.Vector(vectors[r]);
            }
        }
        return List.of(outcomes);
    }

    private float[][] embed(float[] input, int rows) throws OrtException {
        long[] shape = parameters.nhwc()
                ? new long[] {rows, parameters.height(), parameters.width(), 3}
                : new long[] {rows, 3, parameters.height(), parameters.width()};
        FloatBuffer batch = FloatBuffer.wrap(input, 0, rows * preprocessor.itemSize());
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, batch, shape);
                OrtSession.Result result =
                        session.run(Map.of(inputName, tensor), Set.of(parameters.output()), runs.options())) {
            OnnxValue value = result.get(parameters.output())
                    .orElseThrow(() -> new OrtException("no output '" + parameters.output() + "'"));
            if (!(value instanceof OnnxTensor out)) {
                throw new OrtException("output '" + parameters.output() + "' is not a tensor");
            }
            long[] outShape = out.getInfo().getShape();
            FloatBuffer buffer = out.getFloatBuffer();
            float[] values = new float[buffer.remaining()];
            buffer.get(values);
            if (outShape.length == 0 || outShape[0] != rows) {
                throw new OrtException("output '" + parameters.output() + "' has shape " + Arrays.toString(outShape)
                        + "; its first dimension must be the batch (" + rows + ")");
            }
            int per = values.length / rows;
            float[][] vectors = new float[rows][];
            for (int r = 0; r < rows; r++) {
                vectors[r] = OutputPooling.pool(values, r * per, outShape, parameters.pooling());
                if (parameters.normalize()) {
                    Vectors.normalizeL2(vectors[r]);
                }
            }
            return vectors;
        }
    }

    @Override
    public void terminate() {
        runs.terminate();
    }

    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            runs.close();
        }
    }
}
