package io.modelpool.worker.capability;

import io.modelpool.v1.Capability;
import java.util.Set;

/**
 * What the Kafka intake needs of the capabilities, and nothing more: the service of each enabled capability, the
 * work in flight for admission, and refusing, then abandoning, work at shutdown. {@link PoolGroup} implements it.
 *
 * <p>Thread-safe; the intake calls it on its own thread.
 */
public interface CapabilityServices {

    /** Capabilities with at least one model in the manifest. */
    Set<Capability> enabled();

    /**
     * The service for an enabled capability.
     *
     * @throws IllegalArgumentException when {@code capability} is not enabled
     */
    CapabilityService service(Capability capability);

    /**
     * The estimated seconds of work queued and running across all pools; {@link Double#POSITIVE_INFINITY} while a
     * model with work has not shown its speed yet.
     */
    double estimatedSecondsInFlight();

    /** Every pool refuses new work with {@code PoolError.ShuttingDown}; queued work still runs. */
    void beginShutdown();

    /**
     * After a timed-out drain: fails every unfinished task (their requests complete with SHUTTING_DOWN error
     * outcomes) and returns how many tasks that was.
     */
    int abandon();
}
