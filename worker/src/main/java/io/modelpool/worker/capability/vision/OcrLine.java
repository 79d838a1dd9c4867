package io.modelpool.worker.capability.vision;

/**
 * One recognised line.
 *
 * @param text       the characters read
 * @param confidence mean probability of the characters kept by the CTC decode, 0..1
 * @param quad       the line's corners in original image pixels, x0, y0 ... x3, y3, clockwise from top-left
 */
public record OcrLine(String text, float confidence, float[] quad) {}
