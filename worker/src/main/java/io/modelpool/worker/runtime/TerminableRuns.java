package io.modelpool.worker.runtime;

import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link OrtSession.RunOptions} a runner passes to every {@code OrtSession.run}, and the way another thread
 * stops such a run: {@link #terminate()} sets ONNX Runtime's terminate flag, which the running graph checks between
 * nodes, so the run throws an {@link OrtException} within about one operator's time instead of finishing. Once set,
 * every later run with these options throws at once, so a runner that loops over runs (decode steps, denoising
 * steps) stops at its next one.
 *
 * <p>Threading: {@link #options()} and {@link #close()} belong to the runner's own thread; {@link #terminate()} may
 * come from any thread at any time, before, during or after {@link #close()}, and then does nothing.
 */
public final class TerminableRuns implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TerminableRuns.class);

    private final OrtSession.RunOptions options;
    private boolean closed;
    private boolean terminated;

    public TerminableRuns() throws OrtException {
        this.options = new OrtSession.RunOptions();
    }

    /** The options to pass to every run of the runner's sessions. */
    public OrtSession.RunOptions options() {
        return options;
    }

    /** Stops the run in progress, if any, and every later run; idempotent. */
    public synchronized void terminate() {
        if (closed || terminated) {
            return;
        }
        terminated = true;
        try {
            options.setTerminate(true);
        } catch (OrtException e) {
            LOG.warn("Could not set ONNX Runtime's terminate flag; the run goes on until it ends", e);
        }
    }

    /** Whether {@link #terminate()} was called: a run that threw afterwards was stopped, not broken. */
    public synchronized boolean terminated() {
        return terminated;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            options.close();
        }
    }
}
