package io.modelpool.schemas.registry;

import java.util.Objects;
import org.apache.avro.Schema;

/**
 * One version of a schema under a subject, as the registry reports it.
 *
 * @param subject the subject the version belongs to
 * @param version the version number within the subject (1, 2, ...)
 * @param id the registry-wide schema id written into the Confluent wire format
 * @param schema the parsed Avro schema
 */
public record RegisteredSchema(String subject, int version, int id, Schema schema) {
    public RegisteredSchema {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(schema, "schema");
    }
}
