package io.modelpool.worker.capability.image;

/** An image whose header was readable but whose data cannot be decoded completely. */
public final class CorruptImageException extends Exception {

    private static final long serialVersionUID = 1L;

    public CorruptImageException(String message) {
        super(message);
    }

    public CorruptImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
