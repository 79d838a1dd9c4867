package io.modelpool.worker.pool;

/**
 * Told when a model of a pool loads, fails to load or is unloaded, for metrics and operator logs. Set with
 * {@link ModelPool#observeLoads(LoadObserver)}.
 *
 * <p>Threading: {@code loaded} and {@code loadFailed} are called on the worker thread whose runner opened (or on
 * the last one that failed to); {@code unloaded} on the thread that unloaded the model (the maintenance thread, or a
 * thread whose load needed the room). Implementations must be quick, must not block and must not call back into the
 * pool; an exception thrown here is logged and changes nothing.
 */
public interface LoadObserver {

    /** Why a model was unloaded. */
    enum UnloadReason {
        /** It had no work for its idle-unload time. */
        IDLE,
        /** Another model needed its room in the memory budget; it was the least recently used idle model. */
        MEMORY_BUDGET
    }

    /** The first worker of a load opened its runner, {@code loadNanos} after the load began. */
    void loaded(String model, long loadNanos);

    /** Every worker of a load failed to open its runner; the queued tasks failed with {@code reason}. */
    void loadFailed(String model, String reason, long loadNanos);

    /** The model's workers were told to close their runners. */
    void unloaded(String model, UnloadReason reason);

    /** Observes nothing. */
    LoadObserver NONE = new LoadObserver() {
        @Override
        public void loaded(String model, long loadNanos) {}

        @Override
        public void loadFailed(String model, String reason, long loadNanos) {}

        @Override
        public void unloaded(String model, UnloadReason reason) {}
    };
}
