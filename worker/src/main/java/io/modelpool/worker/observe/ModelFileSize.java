package io.modelpool.worker.observe;

import java.io.IOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The size in bytes of a manifest source ({@code classpath:name}, {@code file:/path} or a plain path), read from
 * the file system or the jar entry without reading the file; 0 when it cannot be found.
 */
final class ModelFileSize {

    private static final Logger log = LoggerFactory.getLogger(ModelFileSize.class);
    private static final String CLASSPATH = "classpath:";
    private static final String FILE = "file:";

    private ModelFileSize() {
    }

    static long of(String source) {
        if (source == null || source.isBlank()) {
            return 0;
        }
        try {
            if (source.startsWith(CLASSPATH)) {
                String name = source.substring(CLASSPATH.length());
                name = name.startsWith("/") ? name.substring(1) : name;
                URL url = ModelFileSize.class.getClassLoader().getResource(name);
                if (url == null) {
                    return 0;
                }
                URLConnection connection = url.openConnection();
                return Math.max(0, connection.getContentLengthLong());
            }
            return Files.size(Path.of(source.startsWith(FILE) ? source.substring(FILE.length()) : source));
        } catch (IOException | RuntimeException e) {
            log.debug("Size of model source {} unknown: {}", source, e.toString());
            return 0;
        }
    }
}
