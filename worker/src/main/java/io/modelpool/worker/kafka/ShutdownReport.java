package io.modelpool.worker.kafka;

import java.time.Duration;

/**
 * What a shutdown did, for the log line and the exit decision. {@code fatal}: the intake stopped on its own
 * because its transactional producer was fenced or failed beyond recovery; nothing was committed.
 */
public record ShutdownReport(Duration elapsed, int drained, int abandoned, boolean committed, boolean fatal) {

    public ShutdownReport(Duration elapsed, int drained, int abandoned, boolean committed) {
        this(elapsed, drained, abandoned, committed, false);
    }

    public boolean clean() {
        return abandoned == 0 && committed && !fatal;
    }
}
