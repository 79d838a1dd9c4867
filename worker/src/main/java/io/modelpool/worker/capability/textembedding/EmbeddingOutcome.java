package io.modelpool.worker.capability.textembedding;

/** What the runner produced for one text. */
public sealed interface EmbeddingOutcome {

    /** The pooled (and, where the manifest says so, normalised) vector. */
    record Vector(float[] values) implements EmbeddingOutcome {}

    /** The request's deadline had passed when the batch started; no inference was spent on it. */
    record Expired(long deadlineEpochMs) implements EmbeddingOutcome {}
}
