package io.modelpool.cli.command;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * While open, a SIGINT or SIGTERM asks the running job to stop and gives it up to {@value #GRACE_SECONDS}
 * seconds to write what it has and print its summary before the JVM exits. Closing it (when the job has
 * returned) removes the hook, so in-process callers do not collect hooks.
 */
final class StopOnSignal implements AutoCloseable {
    static final int GRACE_SECONDS = 5;

    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread hook;

    StopOnSignal(Runnable stop) {
        this.hook = new Thread(
                () -> {
                    stop.run();
                    try {
                        finished.await(GRACE_SECONDS, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "modelpool-cli-stop");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Override
    public void close() {
        finished.countDown();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shutdownInProgress) {
            // The JVM is already exiting and the hook is running; it returns now that finished is counted down.
            return;
        }
    }
}
