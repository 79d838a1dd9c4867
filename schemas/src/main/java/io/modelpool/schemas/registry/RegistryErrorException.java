package io.modelpool.schemas.registry;

/**
 * The schema registry answered with a definite refusal (a 4xx status other than 408 and 429). Asking again
 * gives the same answer until someone changes the registry's contents or the client's configuration.
 *
 * <p>Confluent error codes seen here: 40401 subject not found, 40402 version not found, 40403 schema not found,
 * 409 (HTTP status) incompatible schema, 42201 invalid schema, 42202 invalid version; 401 and 403 mean the
 * credentials are missing or not allowed.
 */
public class RegistryErrorException extends RuntimeException {
    /** {@code error_code} for "subject not found". */
    public static final int SUBJECT_NOT_FOUND = 40401;
    /** {@code error_code} for "version not found". */
    public static final int VERSION_NOT_FOUND = 40402;
    /** {@code error_code} for "schema not found" (an unknown id, or a schema not under the subject). */
    public static final int SCHEMA_NOT_FOUND = 40403;
    /** {@code error_code} for "invalid schema". */
    public static final int INVALID_SCHEMA = 42201;

    private final int httpStatus;
    private final int errorCode;
    private final String registryMessage;

    public RegistryErrorException(String message, int httpStatus, int errorCode, String registryMessage) {
        super(message);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
        this.registryMessage = registryMessage;
    }

    /** The HTTP status of the answer, for example 404 or 409. */
    public int httpStatus() {
        return httpStatus;
    }

    /** The registry's {@code error_code}, for example 40403; the HTTP status when the body carried none. */
    public int errorCode() {
        return errorCode;
    }

    /** The registry's own {@code message}, or the start of the body when it was not JSON. */
    public String registryMessage() {
        return registryMessage;
    }

    /** True for HTTP 409: the subject's compatibility rules refuse the schema. */
    public boolean isIncompatibleSchema() {
        return httpStatus == 409;
    }

    /** True when the answer says the schema, subject or version does not exist. */
    public boolean isNotFound() {
        return httpStatus == 404
                || errorCode == SUBJECT_NOT_FOUND
                || errorCode == VERSION_NOT_FOUND
                || errorCode == SCHEMA_NOT_FOUND;
    }
}
