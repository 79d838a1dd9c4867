/**
 * The worker process: {@link io.modelpool.worker.WorkerMain} (the {@code modelpool-worker} command) and {@link
 * io.modelpool.worker.Worker}, which wires the parts together. Subpackages hold the parts: {@code pool} (the generic
 * model pool), {@code runtime} (ONNX Runtime), {@code capability} (request to model input and back, per family),
 * {@code manifest}, {@code kafka} (intake, offsets, publishing), {@code lifecycle} (signals, shutdown), {@code config}.
 */
package io.modelpool.worker;
