package io.modelpool.local;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * Sets up the launcher's logging before anything logs: the whole log to a file, the terminal only what concerns its
 * user (see {@code modelpool-local-logback.xml} and {@link TerminalFilter}).
 */
final class LocalLogging {

    static final String CONFIG = "modelpool-local-logback.xml";
    static final String LEVEL_ENVIRONMENT = "MODELPOOL_LOG_LEVEL";

    /** The worker's logfmt line, as in serving mode. */
    private static final String LOGFMT = "ts=%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} level=%level logger=%logger{36} "
            + "thread=\"%thread\" msg=\"%replace(%msg){'([\"\\\\])', '\\\\$1'}\"%replace( %kvp{DOUBLE}){'^ $', ''}%n";
    /** One short line per warning or error, without a stack trace (that is in the file). */
    private static final String SHORT = "%level: %msg%nopex%n";

    private LocalLogging() {}

    /**
     * Replaces whatever Logback configured on its own.
     *
     * @param logFile the file that receives the whole log (replaced)
     * @param verbose the whole log on the terminal too
     * @param level the level of modelpool's own loggers, {@code INFO} unless {@code MODELPOOL_LOG_LEVEL} says
     *              otherwise
     * @param terminal whether stderr is a terminal, where a log line must first clear the progress bar's line
     */
    static void configure(Path logFile, boolean verbose, String level, boolean terminal) throws IOException {
        Path parent = logFile.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        URL config = LocalLogging.class.getClassLoader().getResource(CONFIG);
        if (config == null) {
            throw new IOException(CONFIG + " is missing from the class path");
        }
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        context.reset();
        context.putProperty("modelpool.local.log-file", logFile.toString());
        context.putProperty("modelpool.local.verbose", Boolean.toString(verbose));
        context.putProperty("modelpool.local.level", level);
        context.putProperty("modelpool.local.terminal-pattern", verbose ? LOGFMT : SHORT);
        context.putProperty(ClearLine.TERMINAL_PROPERTY, Boolean.toString(terminal));
        JoranConfigurator configurator = new JoranConfigurator();
        configurator.setContext(context);
        try {
            configurator.doConfigure(config);
        } catch (JoranException e) {
            throw new IOException("cannot configure logging from " + CONFIG + ": " + e.getMessage(), e);
        }
    }

    /** {@code MODELPOOL_LOG_LEVEL} when set (upper-cased), else {@code INFO}. */
    static String levelFromEnvironment() {
        String raw = System.getenv(LEVEL_ENVIRONMENT);
        return raw == null || raw.isBlank() ? "INFO" : raw.strip().toUpperCase(Locale.ROOT);
    }

    /** True when {@code MODELPOOL_LOG_LEVEL} is set: the user asked for logs, so they go to the terminal too. */
    static boolean levelRequested() {
        String raw = System.getenv(LEVEL_ENVIRONMENT);
        return raw != null && !raw.isBlank();
    }
}
