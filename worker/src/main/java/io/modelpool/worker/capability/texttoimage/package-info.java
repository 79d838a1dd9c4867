/**
 * The text-to-image capability: the {@code latent-diffusion} family (a text encoder, a denoiser with the
 * conventional {@code sample}, {@code timestep}, {@code encoder_hidden_states} inputs, and a VAE decoder),
 * the DDIM and Euler schedulers, classifier-free guidance, seeded noise and PNG output.
 *
 * <p>It must not import {@code org.apache.kafka}; it reaches ONNX Runtime only through its runner and the
 * runtime package.
 */
package io.modelpool.worker.capability.texttoimage;
