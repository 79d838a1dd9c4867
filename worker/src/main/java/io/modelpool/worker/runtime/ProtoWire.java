package io.modelpool.worker.runtime;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The Protocol Buffers wire format (https://protobuf.dev/programming-guides/encoding/), just enough to read and
 * rewrite an ONNX model without generated classes: a message is a sequence of tagged fields, each a varint, a
 * fixed 32- or 64-bit value, or a length-delimited byte range (strings, bytes, nested messages, packed arrays).
 * Fields that a rewrite does not touch are copied byte for byte, so large initializers are never decoded.
 */
final class ProtoWire {

    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LEN = 2;
    static final int FIXED32 = 5;

    private ProtoWire() {}

    /**
     * One field of a message. For {@link #LEN} fields the payload is {@code length} bytes of {@code buf} from
     * {@code offset}; for the others it is {@code value}.
     */
    record Field(int number, int wireType, long value, byte[] buf, int offset, int length) {

        String string() {
            return new String(buf, offset, length, StandardCharsets.UTF_8);
        }

        List<Field> message() {
            return parse(buf, offset, length);
        }
    }

    /** The fields of the message in {@code buf[offset, offset + length)}, in order. */
    static List<Field> parse(byte[] buf, int offset, int length) {
        List<Field> fields = new ArrayList<>();
        int[] pos = {offset};
        int end = offset + length;
        while (pos[0] < end) {
            long tag = readVarint(buf, pos, end);
            int number = (int) (tag >>> 3);
            int wireType = (int) (tag & 7);
            switch (wireType) {
                case VARINT -> fields.add(new Field(number, wireType, readVarint(buf, pos, end), buf, 0, 0));
                case FIXED64 -> fields.add(new Field(number, wireType, readFixed(buf, pos, end, 8), buf, 0, 0));
                case FIXED32 -> fields.add(new Field(number, wireType, readFixed(buf, pos, end, 4), buf, 0, 0));
                case LEN -> {
                    long size = readVarint(buf, pos, end);
                    if (size < 0 || size > end - pos[0]) {
                        throw new IllegalArgumentException("not a protobuf message: field " + number + " claims " + size
                                + " bytes, " + (end - pos[0]) + " remain");
                    }
                    fields.add(new Field(number, wireType, 0, buf, pos[0], (int) size));
                    pos[0] += (int) size;
                }
                default ->
                    throw new IllegalArgumentException("not a protobuf message: field " + number + " has wire type "
                            + wireType + " (groups are not supported)");
            }
        }
        return fields;
    }

    /** The varints of a packed repeated field whose payload is {@code buf[offset, offset + length)}. */
    static List<Long> varints(byte[] buf, int offset, int length) {
        List<Long> values = new ArrayList<>();
        int[] pos = {offset};
        while (pos[0] < offset + length) {
            values.add(readVarint(buf, pos, offset + length));
        }
        return values;
    }

    private static long readVarint(byte[] buf, int[] pos, int end) {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos[0] >= end) {
                throw new IllegalArgumentException("not a protobuf message: truncated varint");
            }
            byte b = buf[pos[0]++];
            result |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return result;
            }
        }
        throw new IllegalArgumentException("not a protobuf message: varint longer than 10 bytes");
    }

    private static long readFixed(byte[] buf, int[] pos, int end, int bytes) {
        if (end - pos[0] < bytes) {
            throw new IllegalArgumentException("not a protobuf message: truncated fixed-width field");
        }
        long result = 0;
        for (int i = 0; i < bytes; i++) {
            result |= (long) (buf[pos[0]++] & 0xff) << (8 * i);
        }
        return result;
    }

    /** Builds one message; nested messages are written by building them first and adding their bytes. */
    static final class Writer {

        private final ByteArrayOutputStream out;

        Writer() {
            this(256);
        }

        Writer(int capacity) {
            this.out = new ByteArrayOutputStream(capacity);
        }

        /** Copies a field as it was read. */
        Writer field(Field f) {
            switch (f.wireType()) {
                case VARINT -> varint(f.number(), f.value());
                case FIXED64, FIXED32 -> {
                    tag(f.number(), f.wireType());
                    int bytes = f.wireType() == FIXED64 ? 8 : 4;
                    for (int i = 0; i < bytes; i++) {
                        out.write((int) (f.value() >>> (8 * i)) & 0xff);
                    }
                }
                default -> bytes(f.number(), f.buf(), f.offset(), f.length());
            }
            return this;
        }

        Writer varint(int number, long value) {
            tag(number, VARINT);
            rawVarint(value);
            return this;
        }

        Writer fixed32(int number, int value) {
            tag(number, FIXED32);
            for (int i = 0; i < 4; i++) {
                out.write((value >>> (8 * i)) & 0xff);
            }
            return this;
        }

        Writer string(int number, String value) {
            byte[] b = value.getBytes(StandardCharsets.UTF_8);
            return bytes(number, b, 0, b.length);
        }

        Writer bytes(int number, byte[] b) {
            return bytes(number, b, 0, b.length);
        }

        Writer bytes(int number, byte[] b, int offset, int length) {
            tag(number, LEN);
            rawVarint(length);
            out.write(b, offset, length);
            return this;
        }

        Writer message(int number, Writer nested) {
            return bytes(number, nested.toByteArray());
        }

        byte[] toByteArray() {
            return out.toByteArray();
        }

        private void tag(int number, int wireType) {
            rawVarint(((long) number << 3) | wireType);
        }

        private void rawVarint(long value) {
            long v = value;
            while ((v & ~0x7fL) != 0) {
                out.write((int) ((v & 0x7f) | 0x80));
                v >>>= 7;
            }
            out.write((int) v);
        }
    }
}
