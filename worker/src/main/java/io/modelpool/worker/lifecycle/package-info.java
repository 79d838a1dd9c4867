/**
 * Process lifecycle: signals (TERM and INT start a graceful shutdown, a second one forces exit), the shutdown
 * coordinator that runs the sequence once, and the watchdog that bounds it. The only package besides the entry
 * point allowed to end the process.
 *
 * <p>Must not import Kafka clients or ONNX Runtime: it drives the worker through {@link
 * io.modelpool.worker.lifecycle.ShutdownCoordinator.Target}.
 */
package io.modelpool.worker.lifecycle;
