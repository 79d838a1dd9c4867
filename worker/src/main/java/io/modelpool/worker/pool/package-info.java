/**
 * The generic model pool: per-model bounded queues, dynamic batching, worker threads that each own a
 * runner (a session) and a pending counter, lazy loading with a retry backoff, the shutdown flag and the drain, and
 * {@link io.modelpool.worker.pool.PoolMaintenance}: worker scaling, idle unloading and the memory budget
 * ({@code MemoryBudget}), driven by each model's
 * {@link io.modelpool.worker.pool.MaintenancePolicy}, never by its name.
 *
 * <p>It moves opaque tasks and never learns that a model, a capability, a tokenizer or a tensor exists: the
 * capability layer supplies the task type, its length and a {@link io.modelpool.worker.pool.RunnerFactory}.
 * It must not import {@code io.modelpool.v1}, {@code ai.onnxruntime}, {@code ai.djl}, {@code org.apache.kafka}
 * or any other {@code io.modelpool.worker} package; {@code ArchitectureTest} (in the launcher module, which sees
 * every module) enforces this.
 */
package io.modelpool.worker.pool;
