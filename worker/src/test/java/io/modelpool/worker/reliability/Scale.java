package io.modelpool.worker.reliability;

import java.time.Duration;

/**
 * The size of a reliability run: {@code short} (the default, part of {@code verify}) or {@code full} (the issue's
 * figures: {@code -Preliability}, or {@code -Dmodelpool.reliability.scale=full}).
 */
final class Scale {

    static final String PROPERTY = "modelpool.reliability.scale";

    private Scale() {}

    static boolean full() {
        return "full".equals(System.getProperty(PROPERTY, "short"));
    }

    static String name() {
        return full() ? "full" : "short";
    }

    static int pick(int shortForm, int fullForm) {
        return full() ? fullForm : shortForm;
    }

    static Duration pick(Duration shortForm, Duration fullForm) {
        return full() ? fullForm : shortForm;
    }
}
