/**
 * The text-to-text capability: the {@code causal-lm} family (decoder-only ONNX exports with the Hugging
 * Face/Optimum signature: {@code input_ids}, {@code attention_mask}, optional {@code position_ids},
 * {@code past_key_values.N.key|value} in; {@code logits}, {@code present.N.key|value} out), its KV-cache
 * decode loop (one generation at a time, or a pool batch's generations together: left-padded prefill and
 * shared decode steps), the logits processing (repetition penalty, temperature, top-k, top-p, seeded
 * sampling), stop strings, EOS, deadlines and the shutdown grace.
 *
 * <p>It must not import {@code org.apache.kafka}; it reaches ONNX Runtime only through its runner, its KV
 * cache and the runtime package.
 */
package io.modelpool.worker.capability.texttotext;
