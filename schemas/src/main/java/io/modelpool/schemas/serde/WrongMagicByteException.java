package io.modelpool.schemas.serde;

/**
 * The first byte is not the Confluent magic byte 0: the value was not written by a Confluent-format
 * serializer (plain JSON starts with 0x7B, for example). Dead-letter the record.
 */
public class WrongMagicByteException extends UndecodableRecordException {
    private final byte actual;

    public WrongMagicByteException(String topic, byte actual) {
        super(
                String.format(
                        "unknown magic byte: expected 0x00, found 0x%02X; the value is not in the Confluent "
                                + "wire format",
                        actual & 0xFF),
                topic,
                null,
                null);
        this.actual = actual;
    }

    /** The first byte found. */
    public byte actual() {
        return actual;
    }
}
