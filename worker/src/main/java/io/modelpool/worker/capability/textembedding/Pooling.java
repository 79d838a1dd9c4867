package io.modelpool.worker.capability.textembedding;

/** How token vectors become one text vector. */
public enum Pooling {
    /** Average of the token vectors under the attention mask (sentence-transformers' MiniLM, e5). */
    MEAN,
    /** The first ([CLS]) token's vector (bge). */
    CLS
}
