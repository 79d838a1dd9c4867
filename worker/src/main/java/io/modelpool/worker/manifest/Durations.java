package io.modelpool.worker.manifest;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses manifest durations: a non-negative integer with a unit, {@code ns|us|ms|s|m}, as in {@code 2ms}. */
public final class Durations {

    private static final Pattern FORM = Pattern.compile("(\\d{1,12})\\s*(ns|us|ms|s|m)");

    private Durations() {}

    /** The duration, or {@link IllegalArgumentException} whose message says what is allowed. */
    public static Duration parse(String text) {
        Matcher m = FORM.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; allowed: an integer and a unit,"
                    + " one of ns, us, ms, s, m (for example 2ms)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ns" -> Duration.ofNanos(n);
            case "us" -> Duration.ofNanos(n * 1_000L);
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }
}
