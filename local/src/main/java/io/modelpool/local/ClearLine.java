package io.modelpool.local;

import ch.qos.logback.classic.pattern.ClassicConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;

/**
 * {@code %clearline} in the launcher's terminal pattern: carriage return and "erase to end of line" when stderr is
 * a terminal, so that a log line replaces the progress bar's line instead of being glued to it (the bar redraws
 * itself below on its next tick); nothing otherwise.
 */
public final class ClearLine extends ClassicConverter {

    static final String TERMINAL_PROPERTY = "modelpool.local.terminal";
    private static final String CLEAR = "\r\u001b[K";

    private boolean terminal;

    @Override
    public void start() {
        terminal = Boolean.parseBoolean(getContext().getProperty(TERMINAL_PROPERTY));
        super.start();
    }

    @Override
    public String convert(ILoggingEvent event) {
        return terminal ? CLEAR : "";
    }
}
