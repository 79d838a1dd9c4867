package io.modelpool.worker.lifecycle;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs an action if it is not cancelled within a time limit: the bound on the whole shutdown sequence, so a stuck
 * native call or a broker that does not answer cannot keep the process alive past its grace period.
 *
 * <p>Runs on its own daemon thread; {@link #cancel} may be called from any thread.
 */
public final class Watchdog {

    private final CountDownLatch cancelled = new CountDownLatch(1);

    private Watchdog() {}

    public static Watchdog start(Duration limit, Runnable onExpiry) {
        Watchdog w = new Watchdog();
        Thread t = new Thread(
                () -> {
                    try {
                        if (!w.cancelled.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                            onExpiry.run();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "modelpool-shutdown-watchdog");
        t.setDaemon(true);
        t.start();
        return w;
    }

    public void cancel() {
        cancelled.countDown();
    }
}
