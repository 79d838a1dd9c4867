package io.modelpool.worker.observe;

import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.PoolGroup;
import io.modelpool.worker.pool.ModelPool;
import io.modelpool.worker.pool.ModelState;
import io.modelpool.worker.pool.PoolRejectedException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * Whether the worker should count as ready, and why not. Ready means all of:
 *
 * <ul>
 *   <li><b>intake</b>: the intake runs; holding no partition is fine (a fleet with more workers than partitions
 *       has idle members, and a rollout must not wait for them);</li>
 *   <li><b>models</b>: no model the manifest asks for has failed to load (a model still loading, or not loaded
 *       yet because models load on first use, counts as loadable: its requests wait in its queue);</li>
 *   <li><b>shutdown</b>: no shutdown has begun (it flips on the first SIGTERM/SIGINT, before the drain);</li>
 *   <li><b>broker</b> and <b>registry</b>: the last {@link DependencyProbe} checks answered.</li>
 * </ul>
 *
 * <p>{@link #evaluate()} reads flags and cached results only, so it is cheap and safe from any thread (the HTTP
 * threads, a scrape of the readiness gauge).
 */
final class Readiness {

    /** One condition: its name, whether it holds, and a short detail for operators. */
    record Check(String name, boolean ok, String detail) {}

    /** All conditions; ready when every one holds. */
    record Report(boolean ready, List<Check> checks) {}

    /** What readiness needs from the intake, once it exists. */
    record IntakeState(BooleanSupplier assigned, BooleanSupplier shuttingDown, LongSupplier lastTurnNanos) {}

    private static final DependencyProbe.Status NOT_PROBED =
            new DependencyProbe.Status(false, "not probed: http.port is 0", 0);

    private final PoolGroup capabilities;
    private final DependencyProbe probe;
    private volatile IntakeState intake;

    /** @param probe the dependency probe; null when the HTTP endpoints are off */
    Readiness(PoolGroup capabilities, DependencyProbe probe) {
        this.capabilities = capabilities;
        this.probe = probe;
    }

    void watchIntake(IntakeState state) {
        this.intake = state;
    }

    /**
     * Liveness: null while the intake loop turned within {@code stallNanos} (or has not started), else why not.
     */
    String stalled(long stallNanos) {
        IntakeState in = intake;
        if (in == null) {
            return null;
        }
        long idle = System.nanoTime() - in.lastTurnNanos().getAsLong();
        return idle < stallNanos ? null : "intake loop has not turned for " + idle / 1_000_000 + " ms";
    }

    Report evaluate() {
        List<Check> checks = new ArrayList<>();
        IntakeState in = intake;
        if (in == null) {
            checks.add(new Check("intake", false, "not started"));
            checks.add(new Check("shutdown", true, "not requested"));
        } else {
            boolean assigned = in.assigned().getAsBoolean();
            checks.add(new Check(
                    "intake",
                    true,
                    assigned ? "partitions assigned" : "running, no partitions assigned (idle member)"));
            boolean stopping = in.shuttingDown().getAsBoolean();
            checks.add(new Check("shutdown", !stopping, stopping ? "shutting down" : "not requested"));
        }
        checks.add(models());
        DependencyProbe.Status broker = probe == null ? NOT_PROBED : probe.broker();
        checks.add(new Check("broker", broker.reachable(), broker.detail()));
        DependencyProbe.Status registry = probe == null ? NOT_PROBED : probe.registry();
        checks.add(new Check("registry", registry.reachable(), registry.detail()));
        return new Report(checks.stream().allMatch(Check::ok), List.copyOf(checks));
    }

    private Check models() {
        boolean ok = true;
        List<String> states = new ArrayList<>();
        for (Capability c : capabilities.enabled()) {
            ModelPool<?, ?> pool = capabilities.pool(c);
            for (String model : new TreeSet<>(pool.models())) {
                ModelState state;
                try {
                    state = pool.state(model);
                } catch (PoolRejectedException e) {
                    state = ModelState.CLOSED;
                }
                ok &= state == ModelState.READY || state == ModelState.LOADING || state == ModelState.UNLOADED;
                states.add(model + "=" + state);
            }
        }
        return new Check("models", ok, String.join(", ", states));
    }
}
