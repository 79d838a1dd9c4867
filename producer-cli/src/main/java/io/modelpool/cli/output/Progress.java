package io.modelpool.cli.output;

import java.io.PrintStream;
import java.time.temporal.ChronoUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A job's progress display: a progress bar with rate and ETA on a terminal, or nothing.
 *
 * <p>Called from the job's thread only; the bar redraws itself from its own daemon thread.
 */
public interface Progress extends AutoCloseable {

    /** Counts {@code n} more inputs done. */
    void stepBy(long n);

    /** A short note shown after the bar, such as the failure count. */
    void note(String text);

    /** Stops redrawing and leaves the final state on screen. */
    @Override
    void close();

    /** Shows nothing. */
    static Progress none() {
        return new Progress() {
            @Override
            public void stepBy(long n) {
                // no display
            }

            @Override
            public void note(String text) {
                // no display
            }

            @Override
            public void close() {
                // no display
            }
        };
    }

    /** A progress bar over {@code total} inputs, drawn on {@code terminal} (stderr). */
    static Progress bar(String task, long total, PrintStream terminal) {
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .setSpeedUnit(ChronoUnit.SECONDS)
                .setUnit(" inputs", 1)
                .setConsumer(new ConsoleProgressBarConsumer(terminal))
                .build();
        return new Progress() {
            @Override
            public void stepBy(long n) {
                bar.stepBy(n);
            }

            @Override
            public void note(String text) {
                bar.setExtraMessage(text);
            }

            @Override
            public void close() {
                bar.close();
            }
        };
    }

    /** True when stderr is an interactive terminal, where a progress bar makes sense. */
    static boolean terminalAttached() {
        return System.console() != null;
    }
}
