package io.modelpool.schemas.serde;

import java.util.OptionalInt;

/**
 * The Confluent wire format for one Kafka key or value: byte 0 is the magic byte {@code 0x00}, bytes 1 to 4
 * are the registry schema id as a big-endian int, and the rest is the Avro binary encoding of one datum,
 * written with that schema. No length prefix, no trailing bytes.
 */
public final class ConfluentWireFormat {
    /** The first byte of every framed value. */
    public static final byte MAGIC_BYTE = 0;
    /** Magic byte plus schema id. */
    public static final int HEADER_SIZE = 5;

    private ConfluentWireFormat() {}

    /** Frames an Avro body: magic byte, {@code schemaId} big-endian, then {@code avroBody}. */
    public static byte[] frame(int schemaId, byte[] avroBody) {
        byte[] framed = new byte[HEADER_SIZE + avroBody.length];
        writeHeader(framed, schemaId);
        System.arraycopy(avroBody, 0, framed, HEADER_SIZE, avroBody.length);
        return framed;
    }

    /**
     * The schema id of a framed value, or empty when {@code value} is null, shorter than the header or does not
     * start with the magic byte. Reads nothing past the header; for dead-letter headers and diagnostics.
     */
    public static OptionalInt peekSchemaId(byte[] value) {
        if (value == null || value.length < HEADER_SIZE || value[0] != MAGIC_BYTE) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(readSchemaId(value));
    }

    static void writeHeader(byte[] target, int schemaId) {
        target[0] = MAGIC_BYTE;
        target[1] = (byte) (schemaId >>> 24);
        target[2] = (byte) (schemaId >>> 16);
        target[3] = (byte) (schemaId >>> 8);
        target[4] = (byte) schemaId;
    }

    static int readSchemaId(byte[] value) {
        return (value[1] & 0xFF) << 24 | (value[2] & 0xFF) << 16 | (value[3] & 0xFF) << 8 | (value[4] & 0xFF);
    }
}
