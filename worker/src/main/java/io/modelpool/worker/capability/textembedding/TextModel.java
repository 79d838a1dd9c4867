package io.modelpool.worker.capability.textembedding;

import io.modelpool.worker.manifest.ModelDefinition;

/** A manifest model of the encoder-embedding family with its tokenizer, or why the tokenizer failed. */
record TextModel(
        ModelDefinition definition, EncoderEmbeddingParameters parameters, TextTokenizer tokenizer, String loadError) {}
