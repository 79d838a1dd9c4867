package io.modelpool.cli.output;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.text.DecimalFormat;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.OptionalDouble;
import java.util.concurrent.atomic.AtomicLong;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DefaultProgressBarRenderer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarConsumer;
import me.tongfei.progressbar.ProgressBarStyle;
import me.tongfei.progressbar.ProgressState;

/**
 * A job's progress display: a progress bar on a terminal, a plain line every few seconds elsewhere (CI, a pipe), or
 * nothing. Rate and ETA come from a {@link MovingRate}, so they are sane from the first seconds and follow changes
 * of pace.
 *
 * <p>{@link #stepBy} and {@link #note} are called from the job's thread only; the bar redraws itself from its own
 * daemon thread, the plain form prints from the job's thread.
 */
public interface Progress extends AutoCloseable {

    /** How often the plain form prints a line. */
    Duration LINE_INTERVAL = Duration.ofSeconds(10);

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

    /**
     * The display for {@code total} inputs on {@code messages}: a bar when stderr is a terminal, plain lines every
     * {@link #LINE_INTERVAL} otherwise.
     */
    static Progress forStderr(String task, long total, PrintStream messages) {
        return stderrIsTerminal() ? bar(task, total, messages) : lines(task, total, messages, LINE_INTERVAL);
    }

    /** A progress bar over {@code total} inputs, drawn on {@code terminal} (stderr). */
    static Progress bar(String task, long total, PrintStream terminal) {
        MovingRate rate = MovingRate.standard();
        DefaultProgressBarRenderer renderer = new MovingRateRenderer(rate);
        ProgressBar bar = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setStyle(ProgressBarStyle.COLORFUL_UNICODE_BLOCK)
                .setUpdateIntervalMillis(250)
                .setRenderer(renderer)
                .setConsumer(new ClosesOnce(new ConsoleProgressBarConsumer(terminal)))
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

    /**
     * One plain line per {@code interval} while the job runs, {@code embed job-x: 1200/2000 inputs (60%), 250
     * inputs/s, ETA 0:00:03}: no control characters, so logs of CI jobs stay readable.
     */
    static Progress lines(String task, long total, PrintStream out, Duration interval) {
        MovingRate rate = MovingRate.standard();
        AtomicLong done = new AtomicLong();
        long intervalNanos = interval.toNanos();
        return new Progress() {
            private long nextLine = System.nanoTime() + intervalNanos;
            private String note = "";

            @Override
            public void stepBy(long n) {
                long now = System.nanoTime();
                long current = done.addAndGet(n);
                rate.sample(now, current);
                if (now - nextLine >= 0 && current < total) {
                    nextLine = now + intervalNanos;
                    out.println(line(task, current, total, rate, note));
                    out.flush();
                }
            }

            @Override
            public void note(String text) {
                note = text;
            }

            @Override
            public void close() {
                // the summary follows
            }
        };
    }

    /** The plain progress line. */
    static String line(String task, long current, long total, MovingRate rate, String note) {
        String percent = total > 0 ? String.format(Locale.ROOT, " (%d%%)", current * 100 / total) : "";
        OptionalDouble perSecond = rate.perSecond();
        String speed =
                perSecond.isPresent() ? String.format(Locale.ROOT, ", %.1f inputs/s", perSecond.getAsDouble()) : "";
        String eta =
                rate.remaining(current, total).map(d -> ", ETA " + clock(d)).orElse("");
        return task + ": " + current + "/" + total + " inputs" + percent + speed + eta
                + (note == null || note.isEmpty() ? "" : ", " + note);
    }

    /** {@code H:MM:SS}, as the progress bar writes durations. */
    static String clock(Duration d) {
        long s = d.toSeconds();
        return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
    }

    /**
     * True when this process's stderr is an interactive terminal, where a progress bar makes sense. On Linux it
     * reads where file descriptor 2 points ({@code /dev/pts/N}, {@code /dev/ttyN}); elsewhere it falls back to
     * {@link System#console()} (stdin and stdout are a terminal). {@code TERM=dumb} is never a terminal.
     */
    static boolean stderrIsTerminal() {
        if ("dumb".equals(System.getenv("TERM"))) {
            return false;
        }
        Path fd2 = Path.of("/proc/self/fd/2");
        if (Files.isSymbolicLink(fd2) || Files.exists(fd2, LinkOption.NOFOLLOW_LINKS)) {
            try {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (IOException | UnsupportedOperationException e) {
                return false;
            }
        }
        return System.console() != null;
    }

    /**
     * The bar's console, drawn on until it is closed and closed once. progressbar 0.10.1 closes its consumer from the
     * update thread when a tick sees the bar finished and again from {@code close()}'s final refresh, and a tick
     * that was running when {@code close()} began drew the finished bar twice, on two lines.
     */
    final class ClosesOnce implements ProgressBarConsumer {
        private final ProgressBarConsumer console;
        private boolean closed;

        ClosesOnce(ProgressBarConsumer console) {
            this.console = console;
        }

        @Override
        public int getMaxRenderedLength() {
            return console.getMaxRenderedLength();
        }

        @Override
        public synchronized void accept(String rendered) {
            if (!closed) {
                console.accept(rendered);
            }
        }

        @Override
        public synchronized void clear() {
            if (!closed) {
                console.clear();
            }
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                console.close();
            }
        }
    }

    /** The bar's renderer, with the speed and ETA of a {@link MovingRate} instead of the mean since the start. */
    final class MovingRateRenderer extends DefaultProgressBarRenderer {
        private final MovingRate rate;

        MovingRateRenderer(MovingRate rate) {
            super(
                    ProgressBarStyle.COLORFUL_UNICODE_BLOCK,
                    " inputs",
                    1,
                    true,
                    new DecimalFormat("#.0"),
                    ChronoUnit.SECONDS,
                    true,
                    state -> rate.remaining(state.getCurrent(), state.getMax()));
            this.rate = rate;
        }

        @Override
        public String render(ProgressState state, int maxLength) {
            rate.sample(System.nanoTime(), state.getCurrent());
            return super.render(state, maxLength);
        }

        @Override
        protected String speed(ProgressState state) {
            OptionalDouble perSecond = rate.perSecond();
            return perSecond.isPresent()
                    ? String.format(Locale.ROOT, "%.1f inputs/s", perSecond.getAsDouble())
                    : "? inputs/s";
        }
    }
}
