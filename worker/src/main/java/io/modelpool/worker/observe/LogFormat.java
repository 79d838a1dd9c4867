package io.modelpool.worker.observe;

import ch.qos.logback.core.PropertyDefinerBase;
import java.util.Locale;
import java.util.Set;

/**
 * Picks the log format for logback.xml: the system property {@code modelpool.log.format}, else the environment
 * variable {@code MODELPOOL_LOG_FORMAT}, else {@code logfmt}. Allowed: {@code logfmt} (key=value lines),
 * {@code json} (one JSON object per line, Logback's {@code JsonEncoder}) and {@code text} (a plain pattern for
 * reading in a terminal). An unknown value falls back to {@code logfmt} and says so on stderr, so a typo never
 * silences the logs.
 *
 * <p>Called once by Logback while it reads its configuration, before any worker code runs.
 */
public final class LogFormat extends PropertyDefinerBase {

    public static final String PROPERTY = "modelpool.log.format";
    public static final String ENVIRONMENT = "MODELPOOL_LOG_FORMAT";
    static final Set<String> ALLOWED = Set.of("logfmt", "json", "text");

    @Override
    public String getPropertyValue() {
        String raw = System.getProperty(PROPERTY);
        if (raw == null || raw.isBlank()) {
            raw = System.getenv(ENVIRONMENT);
        }
        // Logback's own status output is switched off (see logback.xml), so say it where the operator looks
        return choose(raw, message -> System.err.println("modelpool: " + message));
    }

    static String choose(String raw, java.util.function.Consumer<String> warn) {
        if (raw == null || raw.isBlank()) {
            return "logfmt";
        }
        String format = raw.trim().toLowerCase(Locale.ROOT);
        if (!ALLOWED.contains(format)) {
            warn.accept(ENVIRONMENT + " = '" + raw + "' is invalid; allowed: logfmt|json|text; using logfmt");
            return "logfmt";
        }
        return format;
    }
}
