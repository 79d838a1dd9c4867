package io.modelpool.schemas.registry;

/**
 * A schema the registry returned is not usable as Avro: its {@code schemaType} is PROTOBUF or JSON, it uses
 * schema references, or its text does not parse.
 */
public class NotAvroSchemaException extends RuntimeException {
    public NotAvroSchemaException(String message, Throwable cause) {
        super(message, cause);
    }
}
