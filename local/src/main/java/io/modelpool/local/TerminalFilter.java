package io.modelpool.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * What of the log reaches the launcher's terminal: modelpool's own warnings and errors (a schema registry that is
 * down, a model that fails to load, a failing worker) and the errors of everything else (Kafka's clients, the
 * embedded broker). Kafka's own warnings stay in the log file: on a local stack they are about the stack's own
 * start and stop, nothing a user can act on. Once the job's outcome is known and the stack is being taken down
 * ({@link #stackStopping()}), only errors pass: the summary is what the user waits for. With {@code verbose}
 * everything passes.
 */
public final class TerminalFilter extends Filter<ILoggingEvent> {

    private static volatile boolean stopping;
    private boolean verbose;

    /** From now on modelpool's warnings stay in the log file too; called when the local stack starts to stop. */
    static void stackStopping() {
        stopping = true;
    }

    public void setVerbose(boolean verbose) {
        this.verbose = verbose;
    }

    @Override
    public FilterReply decide(ILoggingEvent event) {
        return verbose || shown(event.getLoggerName(), event.getLevel()) ? FilterReply.NEUTRAL : FilterReply.DENY;
    }

    static boolean shown(String logger, Level level) {
        Level least = !stopping && logger != null && logger.startsWith("io.modelpool") ? Level.WARN : Level.ERROR;
        return level.isGreaterOrEqual(least);
    }
}
