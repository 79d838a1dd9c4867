package io.modelpool.worker.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's one {@link OrtEnvironment} and the way sessions are opened from it. ONNX Runtime allows one
 * environment per process; every session of every model is created here.
 *
 * <p>Thread-safe. Sessions it opens belong to the caller, who closes them.
 */
public final class OrtRuntime {

    private static final Logger LOG = LoggerFactory.getLogger(OrtRuntime.class);
    private static final OrtRuntime SHARED = new OrtRuntime();

    private final Object sessionCreation = new Object();
    private final OrtEnvironment environment;
    private final boolean cudaAvailable;
    private final AtomicBoolean warnedNoCuda = new AtomicBoolean();

    private OrtRuntime() {
        this.environment = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "modelpool");
        this.cudaAvailable = OrtEnvironment.getAvailableProviders().contains(OrtProvider.CUDA);
    }

    /** The process-wide runtime. */
    public static OrtRuntime shared() {
        return SHARED;
    }

    public OrtEnvironment environment() {
        return environment;
    }

    /** True when the loaded ONNX Runtime build offers the CUDA execution provider (onnxruntime_gpu). */
    public boolean cudaAvailable() {
        return cudaAvailable;
    }

    public String version() {
        return environment.getVersion();
    }

    /**
     * Opens a session on an in-memory model. Session construction is serialised across the process: two pool
     * workers creating sessions at the same moment crashed the JVM inside libonnxruntime (SIGSEGV in createSession,
     * seen three times here under load, ORT 1.26.0); constructing sessions concurrently on one environment has
     * crashed ONNX Runtime elsewhere too (pykeio/ort#315, in the logging manager). Runs on the sessions are not
     * serialised.
     */
    public OrtSession open(byte[] model, SessionSettings settings) throws OrtException {
        synchronized (sessionCreation) {
            try (OrtSession.SessionOptions options = options(settings)) {
                return environment.createSession(model, options);
            }
        }
    }

    /**
     * Reads the source and opens a session on it.
     *
     * @throws IOException when the source cannot be read, or when the model keeps weights in external data files
     *                     ({@link ExternalData}): sessions are opened on the model's bytes, which have no directory
     *                     to find such files in
     */
    public OrtSession open(ModelSource source, SessionSettings settings) throws OrtException, IOException {
        byte[] model = source.readAllBytes();
        Optional<ExternalData.Reference> external = ExternalData.find(model);
        if (external.isPresent()) {
            throw new IOException(source + ": tensor '" + external.get().tensor() + "' is stored in the external"
                    + " file '" + external.get().location() + "'; expected every weight inside the .onnx file, as"
                    + " the worker loads models from memory: save it with onnx.save(model, path,"
                    + " save_as_external_data=False) (possible under 2 GB)");
        }
        return open(model, settings);
    }

    /** Session options for {@code settings}; the caller closes them. */
    public OrtSession.SessionOptions options(SessionSettings settings) throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(settings.intraOpThreads());
            options.setInterOpNumThreads(settings.interOpThreads());
            options.setOptimizationLevel(settings.optLevel());
            options.setExecutionMode(settings.executionMode());
            if (settings.intraOpThreads() == 1) {
                // no intra-op pool exists to spin; keep the setting explicit for the parallel executor too
                options.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            if (settings.cuda()) {
                if (cudaAvailable) {
                    options.addCUDA(0);
                } else if (warnedNoCuda.compareAndSet(false, true)) {
                    LOG.warn("A model asks for CUDA but this ONNX Runtime build has no CUDA provider"
                            + " (add com.microsoft.onnxruntime:onnxruntime_gpu); running on the CPU");
                }
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }
}
