package io.modelpool.worker.lifecycle;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * Routes SIGTERM and SIGINT to the {@link ShutdownCoordinator}. Unlike a shutdown hook, a signal handler sees the
 * second signal too, which forces exit during the drain.
 *
 * <p>Uses {@code sun.misc.Signal} from the {@code jdk.unsupported} module, available on every HotSpot JDK. The
 * handler runs on a JVM signal thread and only calls {@link ShutdownCoordinator#initiate}, which returns at once.
 */
public final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {
    }

    public static void install(ShutdownCoordinator coordinator) {
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                Signal.handle(new Signal(name), s -> coordinator.initiate("SIG" + s.getName()));
            } catch (IllegalArgumentException e) {
                log.warn("Cannot handle SIG{} on this platform: {}", name, e.getMessage());
            }
        }
    }
}
