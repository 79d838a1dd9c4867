package io.modelpool.worker.manifest;

/** The manifest cannot be read or is invalid; the message names the model key, the setting and the value. */
public final class ManifestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ManifestException(String message) {
        super(message);
    }

    public ManifestException(String message, Throwable cause) {
        super(message, cause);
    }
}
