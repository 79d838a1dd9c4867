/**
 * The vision capability: image to text with the {@code pp-ocr} family (PP-OCR's DB text detector, text
 * orientation classifier and CTC recogniser, ONNX exports).
 *
 * <p>Pipeline and pool design: one pool task per image. A worker takes a batch of pages, detects and cuts out
 * each page's lines one page at a time, then classifies and recognises the lines of all pages of the batch
 * together, so recognition is batched across requests while the pool only moves opaque page tasks. The
 * alternative, lines as tasks of a second pool lane submitted when a page's detection finishes, was rejected:
 * that second submission happens on a worker thread after the intake handed the request over, so once
 * shutdown begins (the pool refuses new tasks) or the lane is full, a page that was already detected could
 * only fail; with one task per page every accepted request is answered within the drain.
 *
 * <p>It must not import {@code org.apache.kafka}; it reaches ONNX Runtime only through its runner and the
 * runtime package.
 */
package io.modelpool.worker.capability.vision;
