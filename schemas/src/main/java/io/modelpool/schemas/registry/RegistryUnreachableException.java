package io.modelpool.schemas.registry;

/**
 * The schema registry could not be reached or did not answer usefully within the retry budget: connection
 * refused, DNS failure, timeout, TLS handshake failure, or 5xx / 429 answers on every attempt. The request may
 * succeed later; nothing is known about the schema or subject asked for.
 */
public class RegistryUnreachableException extends RuntimeException {
    private final int attempts;

    public RegistryUnreachableException(String message, int attempts, Throwable cause) {
        super(message, cause);
        this.attempts = attempts;
    }

    /** How many HTTP attempts were made before giving up. */
    public int attempts() {
        return attempts;
    }
}
