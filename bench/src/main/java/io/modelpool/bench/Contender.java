package io.modelpool.bench;

import java.util.List;

/**
 * One way of embedding the corpus that the harness measures. The harness calls {@link #embed} from its
 * main thread, one pass at a time, never concurrently; a contender may use threads of its own inside a pass
 * and must have them idle when {@code embed} returns.
 */
interface Contender extends AutoCloseable {

    /** A short stable key for tables and the report, e.g. {@code raw-invariant}. */
    String key();

    /** One line saying exactly what runs: library, threads, sessions, batching. */
    String description();

    /**
     * Embeds every text and returns the embeddings in input order, each L2-normalised.
     *
     * @throws Exception when the underlying runtime fails; the harness stops
     */
    float[][] embed(List<String> texts) throws Exception;

    /**
     * The wall-clock nanoseconds of the last {@link #embed} call as the contender measures it itself, or -1 when the
     * harness's own clock around the call is the figure (a contender running other processes times them, and
     * leaves reading their output back out).
     */
    default long lastWallNanos() {
        return -1;
    }

    /** The CPU nanoseconds the last {@link #embed} call used in processes of its own, or -1 for this JVM's. */
    default long lastCpuNanos() {
        return -1;
    }

    /** Releases sessions and threads; called once, after the last pass. */
    @Override
    void close();
}
