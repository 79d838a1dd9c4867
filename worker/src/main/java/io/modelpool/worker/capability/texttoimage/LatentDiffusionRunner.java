package io.modelpool.worker.capability.texttoimage;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.modelpool.worker.capability.ShutdownGrace;
import io.modelpool.worker.pool.BatchRunner;
import io.modelpool.worker.runtime.Tensors;
import io.modelpool.worker.runtime.TerminableRuns;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import javax.imageio.ImageIO;

/**
 * Draws images with a latent diffusion model made of three ONNX sessions: the text encoder turns the prompt
 * (and the negative prompt) into hidden states; the denoiser predicts the noise in the latents at each of the
 * scheduler's timesteps, for both prompts in one batch of two when guidance is on, combined as
 * {@code eps = eps_uncond + scale * (eps_cond - eps_uncond)} (Ho and Salimans, "Classifier-Free Diffusion
 * Guidance", 2022); the VAE decoder turns the final latents, divided by the VAE scaling, into an image in
 * [-1, 1], mapped to bytes as {@code round(clamp((v + 1) / 2, 0, 1) * 255)} and encoded as PNG.
 *
 * <p>Latents and scheduler arithmetic are kept in double precision; the models see float32. Between steps it
 * checks the request's deadline (an {@link ImageOutcome.Expired} answer) and the shutdown grace (an
 * {@link ImageOutcome.ShutDown} answer). One image per run. Owned by one pool worker thread.
 */
public final class LatentDiffusionRunner implements BatchRunner<ImageTask, ImageOutcome> {

    private final OrtEnvironment env;
    private final OrtSession textEncoder;
    private final OrtSession denoiser;
    private final OrtSession vaeDecoder;
    private final LatentDiffusionParameters parameters;
    private final ShutdownGrace grace;
    private final LongSupplier clock;
    private final String encoderInput;
    private final boolean encoderWantsInt32;
    private final String encoderOutput;
    private final String denoiserOutput;
    private final OnnxJavaType timestepType;
    private final boolean timestepIsScalar;
    private final int latentChannels;
    private final String decoderInput;
    private final String decoderOutput;
    private final TerminableRuns runs;

    /** Takes over the three sessions: closed by {@link #close()}. */
    LatentDiffusionRunner(
            OrtEnvironment env,
            OrtSession textEncoder,
            OrtSession denoiser,
            OrtSession vaeDecoder,
            LatentDiffusionParameters parameters,
            ShutdownGrace grace,
            LongSupplier clock)
            throws OrtException {
        this.env = env;
        this.textEncoder = textEncoder;
        this.denoiser = denoiser;
        this.vaeDecoder = vaeDecoder;
        this.parameters = parameters;
        this.grace = grace;
        this.clock = clock;
        this.encoderInput = textEncoder.getInputNames().contains("input_ids")
                ? "input_ids"
                : textEncoder.getInputNames().iterator().next();
        this.encoderWantsInt32 =
                tensorInfo(textEncoder.getInputInfo().get(encoderInput), encoderInput).type == OnnxJavaType.INT32;
        this.encoderOutput = textEncoder.getOutputNames().contains("last_hidden_state")
                ? "last_hidden_state"
                : textEncoder.getOutputNames().iterator().next();
        Map<String, NodeInfo> inputs = denoiser.getInputInfo();
        for (String name : List.of("sample", "timestep", "encoder_hidden_states")) {
            if (!inputs.containsKey(name)) {
                throw new OrtException("latent-diffusion denoiser needs inputs sample, timestep and "
                        + "encoder_hidden_states; it has " + inputs.keySet());
            }
        }
        TensorInfo sample = tensorInfo(inputs.get("sample"), "sample");
        if (sample.getShape().length != 4 || sample.type != OnnxJavaType.FLOAT) {
            throw new OrtException("latent-diffusion denoiser input sample is " + sample
                    + "; expected float32 [batch, channels, height, width]");
        }
        this.latentChannels = latentChannels(sample.getShape()[1], parameters.latentChannels());
        TensorInfo timestep = tensorInfo(inputs.get("timestep"), "timestep");
        this.timestepType = timestep.type;
        this.timestepIsScalar = timestep.getShape().length == 0;
        if (timestepType != OnnxJavaType.FLOAT && timestepType != OnnxJavaType.INT64) {
            throw new OrtException(
                    "latent-diffusion denoiser input timestep must be float32 or int64; it is " + timestep);
        }
        this.denoiserOutput = denoiser.getOutputNames().iterator().next();
        this.decoderInput = vaeDecoder.getInputNames().iterator().next();
        this.decoderOutput = vaeDecoder.getOutputNames().iterator().next();
        this.runs = new TerminableRuns();
    }

    /**
     * The denoiser's channel count when its export fixes it (it must then agree with {@code latent-channels} if that
     * is set), else {@code latent-channels} or 4: diffusers' and Optimum's exports leave it dynamic.
     */
    static int latentChannels(long exported, Integer declared) throws OrtException {
        if (exported > 0) {
            if (declared != null && declared != exported) {
                throw new OrtException("latent-diffusion denoiser input sample has " + exported
                        + " channels; expected parameters.latent-channels (" + declared + ")");
            }
            return (int) exported;
        }
        return declared != null ? declared : LatentDiffusionParameters.DEFAULT_LATENT_CHANNELS;
    }

    private static TensorInfo tensorInfo(NodeInfo info, String name) throws OrtException {
        if (info == null || !(info.getInfo() instanceof TensorInfo t)) {
            throw new OrtException("model input " + name + " is not a tensor");
        }
        return t;
    }

    @Override
    public void terminate() {
        runs.terminate();
    }

    @Override
    public List<ImageOutcome> run(List<ImageTask> inputs) throws OrtException {
        List<ImageOutcome> out = new ArrayList<>(inputs.size());
        for (ImageTask task : inputs) {
            out.add(draw(task));
        }
        return out;
    }

    private ImageOutcome draw(ImageTask task) throws OrtException {
        if (task.deadlineEpochMs() < clock.getAsLong()) {
            return new ImageOutcome.Expired(task.deadlineEpochMs());
        }
        boolean guided = task.guidanceScale() != 1f;
        int length = task.promptIds().length;
        long[] ids = new long[(guided ? 2 : 1) * length];
        if (guided) {
            System.arraycopy(task.negativeIds(), 0, ids, 0, length);
        }
        System.arraycopy(task.promptIds(), 0, ids, guided ? length : 0, length);
        int rows = guided ? 2 : 1;
        float[] hidden;
        long[] hiddenShape;
        try (OnnxTensor input = idsTensor(ids, rows, length);
                OrtSession.Result r =
                        textEncoder.run(Map.of(encoderInput, input), Set.of(encoderOutput), runs.options())) {
            OnnxTensor h = (OnnxTensor) r.get(encoderOutput).orElseThrow();
            hiddenShape = h.getInfo().getShape();
            hidden = floats(h);
        }
        int scale = parameters.vaeScaleFactor();
        int lh = task.height() / scale;
        int lw = task.width() / scale;
        int cells = latentChannels * lh * lw;
        DiffusionScheduler scheduler = DiffusionScheduler.of(task.scheduler(), parameters.schedule(), task.steps());
        double[] x = GaussianNoise.sample(task.seed(), cells);
        double init = scheduler.initialNoiseScale();
        for (int j = 0; j < cells; j++) {
            x[j] *= init;
        }
        double[] timesteps = scheduler.timesteps();
        double[] eps = new double[cells];
        float[] sample = new float[rows * cells];
        try (OnnxTensor states = OnnxTensor.createTensor(env, FloatBuffer.wrap(hidden), hiddenShape)) {
            for (int i = 0; i < timesteps.length; i++) {
                if (i > 0 && clock.getAsLong() > task.deadlineEpochMs()) {
                    return new ImageOutcome.Expired(task.deadlineEpochMs());
                }
                if (i > 0 && grace.expired()) {
                    return new ImageOutcome.ShutDown(i);
                }
                for (int j = 0; j < cells; j++) {
                    float v = (float) scheduler.scaleInput(x[j], i);
                    for (int r = 0; r < rows; r++) {
                        sample[r * cells + j] = v;
                    }
                }
                float[] predicted = denoise(sample, rows, lh, lw, timesteps[i], states);
                if (guided) {
                    double g = task.guidanceScale();
                    for (int j = 0; j < cells; j++) {
                        double u = predicted[j];
                        eps[j] = u + g * (predicted[cells + j] - u);
                    }
                } else {
                    for (int j = 0; j < cells; j++) {
                        eps[j] = predicted[j];
                    }
                }
                scheduler.step(x, eps, i);
            }
        }
        return new ImageOutcome.Png(
                decode(x, lh, lw, task.width(), task.height()), task.width(), task.height(), task.seed());
    }

    private OnnxTensor idsTensor(long[] ids, int rows, int length) throws OrtException {
        long[] shape = {rows, length};
        if (encoderWantsInt32) {
            int[] narrow = new int[ids.length];
            for (int i = 0; i < ids.length; i++) {
                narrow[i] = Math.toIntExact(ids[i]);
            }
            return OnnxTensor.createTensor(env, IntBuffer.wrap(narrow), shape);
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape);
    }

    private float[] denoise(float[] sample, int rows, int lh, int lw, double t, OnnxTensor states) throws OrtException {
        Map<String, OnnxTensor> owned = new HashMap<>();
        try {
            owned.put(
                    "sample",
                    OnnxTensor.createTensor(env, FloatBuffer.wrap(sample), new long[] {rows, latentChannels, lh, lw}));
            owned.put("timestep", timestepTensor(t, rows));
            Map<String, OnnxTensor> feed = new HashMap<>(owned);
            feed.put("encoder_hidden_states", states);
            try (OrtSession.Result r = denoiser.run(feed, Set.of(denoiserOutput), runs.options())) {
                return floats((OnnxTensor) r.get(denoiserOutput).orElseThrow());
            }
        } finally {
            Tensors.closeAll(owned);
        }
    }

    private OnnxTensor timestepTensor(double t, int rows) throws OrtException {
        if (timestepType == OnnxJavaType.INT64) {
            long v = Math.round(t);
            if (timestepIsScalar) {
                return OnnxTensor.createTensor(env, v);
            }
            long[] values = new long[rows];
            Arrays.fill(values, v);
            return OnnxTensor.createTensor(env, LongBuffer.wrap(values), new long[] {rows});
        }
        float v = (float) t;
        if (timestepIsScalar) {
            return OnnxTensor.createTensor(env, v);
        }
        float[] values = new float[rows];
        Arrays.fill(values, v);
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), new long[] {rows});
    }

    private byte[] decode(double[] x, int lh, int lw, int width, int height) throws OrtException {
        float[] latents = new float[x.length];
        for (int j = 0; j < x.length; j++) {
            latents[j] = (float) (x[j] / parameters.vaeScaling());
        }
        float[] image;
        long[] shape;
        try (OnnxTensor in = OnnxTensor.createTensor(
                        env, FloatBuffer.wrap(latents), new long[] {1, latentChannels, lh, lw});
                OrtSession.Result r = vaeDecoder.run(Map.of(decoderInput, in), Set.of(decoderOutput), runs.options())) {
            OnnxTensor out = (OnnxTensor) r.get(decoderOutput).orElseThrow();
            shape = out.getInfo().getShape();
            image = floats(out);
        }
        if (shape.length != 4 || shape[1] != 3 || shape[2] != height || shape[3] != width) {
            throw new OrtException("latent-diffusion VAE decoder returned shape " + Arrays.toString(shape)
                    + "; expected [1, 3, " + height + ", " + width + "]");
        }
        return png(image, width, height);
    }

    /** Pixels as the decoder's [-1, 1] channels mapped to bytes, encoded as PNG. */
    static byte[] png(float[] chw, int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int plane = width * height;
        for (int y = 0; y < height; y++) {
            for (int xx = 0; xx < width; xx++) {
                int at = y * width + xx;
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    rgb = (rgb << 8) | toByte(chw[c * plane + at]);
                }
                img.setRGB(xx, y, rgb);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        }
        return out.toByteArray();
    }

    static int toByte(float v) {
        double f = Math.min(1.0, Math.max(0.0, (v + 1.0) / 2.0)) * 255.0;
        return (int) Math.floor(f + 0.5);
    }

    private static float[] floats(OnnxTensor tensor) {
        FloatBuffer b = tensor.getFloatBuffer();
        float[] values = new float[b.remaining()];
        b.get(values);
        return values;
    }

    @Override
    public void close() throws OrtException {
        try {
            textEncoder.close();
        } finally {
            try {
                denoiser.close();
            } finally {
                try {
                    vaeDecoder.close();
                } finally {
                    runs.close();
                }
            }
        }
    }
}
