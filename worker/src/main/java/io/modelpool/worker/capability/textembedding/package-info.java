/**
 * The text-embedding capability: the {@code encoder-embedding} family (a BERT-style encoder, HF tokenizer,
 * mean or CLS pooling, optional L2 normalisation, query/passage prefixes), request validation, and the
 * assembly of one result from the per-text pool tasks of a request.
 *
 * <p>It must not import {@code org.apache.kafka}; it reaches ONNX Runtime only through its runner and the
 * runtime package.
 */
package io.modelpool.worker.capability.textembedding;
