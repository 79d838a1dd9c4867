package io.modelpool.worker.capability.texttotext;

import io.modelpool.worker.manifest.ModelDefinition;

/** A manifest model of the causal-lm family with its tokenizer, or why the tokenizer failed. */
record CausalLmModel(
        ModelDefinition definition, CausalLmParameters parameters, LmTokenizer tokenizer, String loadError) {}
