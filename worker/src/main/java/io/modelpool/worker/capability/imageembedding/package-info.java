/**
 * The image-embedding capability: the {@code image-encoder} family, an ONNX image encoder (a CLIP-style
 * vision tower or a CNN backbone) whose preprocessing (size, resize mode, rescale, mean, std, channel order,
 * layout) and output (tensor name, pooling, normalisation) the manifest declares. One pool task per image.
 *
 * <p>It must not import {@code org.apache.kafka}; it reaches ONNX Runtime only through its runner and the
 * runtime package.
 */
package io.modelpool.worker.capability.imageembedding;
