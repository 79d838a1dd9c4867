package io.modelpool.worker.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;
import sun.misc.SignalHandler;

/**
 * Routes SIGTERM and SIGINT to the {@link ShutdownCoordinator}. Unlike a shutdown hook, a signal handler sees the
 * second signal too, which forces exit during the drain.
 *
 * <p>Uses {@code sun.misc.Signal} from the {@code jdk.unsupported} module, available on every HotSpot JDK. The
 * handler runs on a JVM signal thread and only calls {@link ShutdownCoordinator#initiate}, which returns at once.
 */
public final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    public static void install(ShutdownCoordinator coordinator) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                SignalHandler previous =
                        Signal.handle(new Signal(name), s -> coordinator.initiate("SIG" + s.getName()));
                if (previous == SignalHandler.SIG_IGN) {
                    // HotSpot keeps a shutdown signal ignored if it was ignored when the JVM started (a background
                    // job of a non-interactive shell, for one): the handler is registered but never runs.
                    log.warn(
                            "SIG{} was ignored by the process that started this JVM and stays ignored; use the "
                                    + "other signal to stop the worker gracefully",
                            name);
                }
            } catch (IllegalArgumentException e) {
                log.warn("Cannot handle SIG{} on this platform: {}", name, e.getMessage());
            }
        }
    }
}
