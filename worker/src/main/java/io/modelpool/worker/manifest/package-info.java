/**
 * The model manifest: the YAML file that decides which models a worker serves and how (capability, family,
 * source, tokenizer, family parameters, batch limits, workers, session threads), its loading from
 * {@code classpath:} or a file, its defaults and its start-up validation.
 *
 * <p>Plain data: it must not import {@code ai.onnxruntime}, {@code ai.djl}, {@code org.apache.kafka} or the
 * pool; family parameters stay an untyped map here and are checked by the family that reads them.
 */
package io.modelpool.worker.manifest;
