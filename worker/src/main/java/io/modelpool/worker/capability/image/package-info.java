/**
 * Image input shared by the vision and image-embedding capabilities: checking an encoded image against the
 * request limits from its header alone (media type, magic bytes, byte size, pixel budget) before any raster
 * is decoded, decoding PNG, JPEG and WebP (TwelveMonkeys' ImageIO plug-in) into an interleaved BGR raster,
 * the raster operations the model families need (bilinear resize, crops, rotations), and
 * {@link io.modelpool.worker.capability.image.ImageService}, the request checks and result plumbing of a
 * one-image-per-request capability.
 *
 * <p>It must not import {@code org.apache.kafka} or {@code ai.onnxruntime}: it knows images and requests, not
 * model sessions.
 */
package io.modelpool.worker.capability.image;
