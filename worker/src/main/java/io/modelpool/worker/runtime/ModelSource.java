package io.modelpool.worker.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a model or tokenizer file comes from: {@code classpath:name} (a resource in any jar on the class
 * path, such as the model jars' root entries), {@code file:/path} or a plain file path.
 */
public record ModelSource(String location) {

    private static final String CLASSPATH = "classpath:";
    private static final String FILE = "file:";

    public ModelSource {
        if (location == null || location.isBlank()) {
            throw new IllegalArgumentException("model source is empty; allowed: classpath:<resource> or file:<path>");
        }
    }

    public boolean isClasspath() {
        return location.startsWith(CLASSPATH);
    }

    /** Opens the source; the caller closes the stream. */
    public InputStream open() throws IOException {
        if (isClasspath()) {
            String name = location.substring(CLASSPATH.length());
            name = name.startsWith("/") ? name.substring(1) : name;
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            InputStream in = context == null ? null : context.getResourceAsStream(name);
            if (in == null) {
                in = ModelSource.class.getClassLoader().getResourceAsStream(name);
            }
            if (in == null) {
                throw new IOException("no classpath resource '" + name + "' (from " + location + ")");
            }
            return in;
        }
        return Files.newInputStream(path());
    }

    /** Reads the whole source. */
    public byte[] readAllBytes() throws IOException {
        try (InputStream in = open()) {
            return in.readAllBytes();
        }
    }

    /**
     * The source's size in bytes without reading it (the file's size, or the jar entry's length); -1 when it cannot
     * be found or its size is unknown.
     */
    public long sizeBytes() {
        try {
            if (isClasspath()) {
                String name = location.substring(CLASSPATH.length());
                name = name.startsWith("/") ? name.substring(1) : name;
                ClassLoader context = Thread.currentThread().getContextClassLoader();
                java.net.URL url = context == null ? null : context.getResource(name);
                if (url == null) {
                    url = ModelSource.class.getClassLoader().getResource(name);
                }
                return url == null ? -1 : url.openConnection().getContentLengthLong();
            }
            return Files.size(path());
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private Path path() {
        return Path.of(location.startsWith(FILE) ? location.substring(FILE.length()) : location);
    }

    @Override
    public String toString() {
        return location;
    }
}
