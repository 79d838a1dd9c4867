package io.modelpool.schemas.serde;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.apache.avro.SystemLimitException;
import org.apache.avro.io.Decoder;
import org.apache.avro.util.Utf8;

/**
 * An Avro binary decoder over one byte array that never allocates more than the array can justify.
 *
 * <p>Avro's own {@code BinaryDecoder} trusts the length prefixes it reads: a 20-byte hostile value that
 * declares a 2 GB string makes it allocate 2 GB before it notices that the bytes are missing, and an array
 * block that declares 10^9 items makes the datum reader size a list for 10^9 elements. Here every declared
 * length is checked against the bytes that are actually left before anything is allocated:
 *
 * <ul>
 *   <li>a string, bytes or fixed value must fit in the remaining bytes;
 *   <li>a map block of n entries needs at least n bytes (every key is a string with a length prefix);
 *   <li>an array block of n items needs at least n bytes, unless the writer schema has arrays whose items can
 *       be encoded in zero bytes (null, empty records, zero-size fixed), in which case the total of such
 *       declared items over the whole value is capped at {@code zeroByteItemBudget};
 *   <li>Avro's own limits ({@code org.apache.avro.limits.*} system properties) still apply on top.
 * </ul>
 *
 * <p>A declared length that exceeds the remaining bytes but not the payload limit means the value was cut
 * short ({@link EOFException}); one beyond the payload limit, or negative, is malformed
 * ({@link MalformedBytesException}). Varints longer than Avro allows and booleans other than 0 and 1 are
 * malformed too. Not thread-safe: one instance decodes one value.
 */
final class BoundedBinaryDecoder extends Decoder {

    /** A violation of the Avro binary encoding or of a decoding limit, as opposed to running out of bytes. */
    static final class MalformedBytesException extends IOException {
        MalformedBytesException(String message) {
            super(message);
        }
    }

    private final byte[] buf;
    private final int limit;
    private final long payloadLimit;
    private final boolean zeroByteItemsPossible;
    private long zeroByteItemBudget;
    private int pos;

    /**
     * @param buf the bytes
     * @param offset where the Avro body starts
     * @param length the body's length
     * @param payloadLimit declared lengths above this are malformed rather than truncated
     * @param zeroByteItemsPossible whether the writer schema has arrays whose items may take zero bytes
     * @param zeroByteItemBudget how many array items beyond the remaining bytes may be declared in total
     */
    BoundedBinaryDecoder(
            byte[] buf,
            int offset,
            int length,
            long payloadLimit,
            boolean zeroByteItemsPossible,
            long zeroByteItemBudget) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new IllegalArgumentException("range " + offset + "+" + length + " outside " + buf.length + " bytes");
        }
        this.buf = buf;
        this.pos = offset;
        this.limit = offset + length;
        this.payloadLimit = payloadLimit;
        this.zeroByteItemsPossible = zeroByteItemsPossible;
        this.zeroByteItemBudget = zeroByteItemBudget;
    }

    /** Bytes not yet consumed. */
    int remaining() {
        return limit - pos;
    }

    @Override
    public int remainingBytes() {
        return remaining();
    }

    @Override
    public void readNull() {
        // null takes no bytes
    }

    @Override
    public boolean readBoolean() throws IOException {
        int b = nextByte();
        if (b > 1) {
            throw new MalformedBytesException("boolean byte is " + b + ", expected 0 or 1");
        }
        return b == 1;
    }

    @Override
    public int readInt() throws IOException {
        int raw = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            int b = nextByte();
            if (shift == 28 && (b & 0xF0) != 0) {
                throw new MalformedBytesException("int varint overflows 32 bits");
            }
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new MalformedBytesException("int varint longer than 5 bytes");
    }

    @Override
    public long readLong() throws IOException {
        long raw = 0;
        for (int shift = 0; shift < 70; shift += 7) {
            long b = nextByte();
            if (shift == 63 && (b & 0xFE) != 0) {
                throw new MalformedBytesException("long varint overflows 64 bits");
            }
            raw |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return (raw >>> 1) ^ -(raw & 1);
            }
        }
        throw new MalformedBytesException("long varint longer than 10 bytes");
    }

    @Override
    public float readFloat() throws IOException {
        require(4, "float");
        int bits = (buf[pos] & 0xFF)
                | (buf[pos + 1] & 0xFF) << 8
                | (buf[pos + 2] & 0xFF) << 16
                | (buf[pos + 3] & 0xFF) << 24;
        pos += 4;
        return Float.intBitsToFloat(bits);
    }

    @Override
    public double readDouble() throws IOException {
        require(8, "double");
        long bits = 0;
        for (int i = 7; i >= 0; i--) {
            bits = (bits << 8) | (buf[pos + i] & 0xFF);
        }
        pos += 8;
        return Double.longBitsToDouble(bits);
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        int length = SystemLimitException.checkMaxStringLength(declaredLength("string"));
        Utf8 result = old != null ? old : new Utf8();
        result.setByteLength(length);
        System.arraycopy(buf, pos, result.getBytes(), 0, length);
        pos += length;
        return result;
    }

    @Override
    public String readString() throws IOException {
        int length = SystemLimitException.checkMaxStringLength(declaredLength("string"));
        String value = new String(buf, pos, length, StandardCharsets.UTF_8);
        pos += length;
        return value;
    }

    @Override
    public void skipString() throws IOException {
        int length = declaredLength("string"); // read before the add: pos += f() would add to the stale pos
        pos += length;
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        int length = SystemLimitException.checkMaxBytesLength(declaredLength("bytes"));
        ByteBuffer result = ByteBuffer.wrap(Arrays.copyOfRange(buf, pos, pos + length));
        pos += length;
        return result;
    }

    @Override
    public void skipBytes() throws IOException {
        int length = declaredLength("bytes");
        pos += length;
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        require(length, "fixed");
        System.arraycopy(buf, pos, bytes, start, length);
        pos += length;
    }

    @Override
    public void skipFixed(int length) throws IOException {
        require(length, "fixed");
        pos += length;
    }

    @Override
    public int readEnum() throws IOException {
        int index = readInt();
        if (index < 0) {
            throw new MalformedBytesException("negative enum index " + index);
        }
        return index;
    }

    @Override
    public int readIndex() throws IOException {
        int index = readInt();
        if (index < 0) {
            throw new MalformedBytesException("negative union branch index " + index);
        }
        return index;
    }

    @Override
    public long readArrayStart() throws IOException {
        return arrayBlock();
    }

    @Override
    public long arrayNext() throws IOException {
        return arrayBlock();
    }

    @Override
    public long skipArray() throws IOException {
        return skipBlocks(true);
    }

    @Override
    public long readMapStart() throws IOException {
        return mapBlock();
    }

    @Override
    public long mapNext() throws IOException {
        return mapBlock();
    }

    @Override
    public long skipMap() throws IOException {
        return skipBlocks(false);
    }

    private long arrayBlock() throws IOException {
        return checkArrayCount(blockCount("array"));
    }

    private long checkArrayCount(long count) throws IOException {
        if (count > remaining()) {
            if (count > payloadLimit) {
                throw new MalformedBytesException("array block declares " + count
                        + " items, more than the payload limit " + "of " + payloadLimit + " allows");
            }
            if (!zeroByteItemsPossible) {
                throw new EOFException(
                        "array block declares " + count + " items but only " + remaining() + " bytes remain");
            }
            zeroByteItemBudget -= count;
            if (zeroByteItemBudget < 0) {
                throw new MalformedBytesException("arrays declare more zero-byte items than the payload limit allows");
            }
        }
        SystemLimitException.checkMaxCollectionLength(count);
        return count;
    }

    private long mapBlock() throws IOException {
        return checkMapCount(blockCount("map"));
    }

    private long checkMapCount(long count) throws IOException {
        if (count > remaining()) {
            if (count > payloadLimit) {
                throw new MalformedBytesException("map block declares " + count
                        + " entries, more than the payload limit " + "of " + payloadLimit + " allows");
            }
            throw new EOFException(
                    "map block declares " + count + " entries but only " + remaining() + " bytes remain");
        }
        SystemLimitException.checkMaxCollectionLength(count);
        return count;
    }

    /** Reads a block header; a negative count is followed by the block's byte size, which is checked. */
    private long blockCount(String what) throws IOException {
        long count = readLong();
        if (count >= 0) {
            return count;
        }
        if (count == Long.MIN_VALUE) {
            throw new MalformedBytesException(what + " block count overflows");
        }
        declaredLength(what + " block");
        return -count;
    }

    /**
     * Skips whole blocks that carry their byte size; returns the item count of the next block that does not
     * (the caller skips those items one by one), or 0 at the end of the collection.
     */
    private long skipBlocks(boolean array) throws IOException {
        while (true) {
            long count = readLong();
            if (count == 0) {
                return 0;
            }
            if (count > 0) {
                return array ? checkArrayCount(count) : checkMapCount(count);
            }
            if (count == Long.MIN_VALUE) {
                throw new MalformedBytesException("block count overflows");
            }
            int size = declaredLength(array ? "array block" : "map block");
            pos += size;
        }
    }

    /** Reads a length prefix and checks that so many bytes remain; does not consume them. */
    private int declaredLength(String what) throws IOException {
        long length = readLong();
        if (length < 0) {
            throw new MalformedBytesException(what + " declares a negative length " + length);
        }
        if (length > remaining()) {
            if (length > payloadLimit) {
                throw new MalformedBytesException(what + " declares " + length
                        + " bytes, more than the payload limit of " + payloadLimit + " bytes");
            }
            throw new EOFException(what + " declares " + length + " bytes but only " + remaining() + " remain");
        }
        return (int) length;
    }

    private void require(int length, String what) throws IOException {
        if (length < 0) {
            throw new MalformedBytesException(what + " of negative length " + length);
        }
        if (length > remaining()) {
            throw new EOFException(what + " needs " + length + " bytes but only " + remaining() + " remain");
        }
    }

    private int nextByte() throws IOException {
        if (pos >= limit) {
            throw new EOFException("value ends in the middle of a number");
        }
        return buf[pos++] & 0xFF;
    }
}
