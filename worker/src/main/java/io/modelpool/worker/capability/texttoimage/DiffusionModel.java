package io.modelpool.worker.capability.texttoimage;

import io.modelpool.worker.manifest.ModelDefinition;

/** A manifest model of the latent-diffusion family with its tokenizer, or why the tokenizer failed. */
record DiffusionModel(
        ModelDefinition definition,
        LatentDiffusionParameters parameters,
        PromptTokenizer tokenizer,
        String loadError) {}
