package io.modelpool.devstack;

/**
 * One ephemeral {@link DevStack} per JVM, started on first use and closed by a shutdown hook.
 *
 * <p>Tests and benchmarks in every module share it, so a test run starts one broker, not one per class. Callers
 * must not close it; a test that needs to stop the broker, or wants a clean broker, starts its own
 * {@link DevStack}. Topic names should be unique per test (or created with {@link DevStack#createTopics}, which
 * leaves existing topics alone) since other tests use the same broker.
 */
public final class SharedDevStack {

    private static DevStack stack;

    private SharedDevStack() {}

    /**
     * The shared stack, started by the first caller (about 2-3 s); later callers get the same one at once.
     * Safe to call from any thread. If it was closed anyway, a new one is started.
     */
    public static synchronized DevStack get() {
        if (stack == null || stack.isClosed()) {
            DevStack started = DevStack.start(DevStackOptions.ephemeral());
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "shared-devstack-shutdown"));
            stack = started;
        }
        return stack;
    }
}
