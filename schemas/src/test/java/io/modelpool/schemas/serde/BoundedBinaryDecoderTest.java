package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.schemas.Contract;
import io.modelpool.v1.TextEmbeddingResult;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.junit.jupiter.api.Test;

class BoundedBinaryDecoderTest {
    private static final long LIMIT = 16L * 1024 * 1024;

    @Test
    void decodesWhatAvrosOwnEncodersWriteForEveryContractSchemaExactlyAsAvrosDecoderDoes() throws IOException {
        for (Class<? extends SpecificRecord> type : Contract.recordClasses()) {
            Schema schema = Contract.schemaOf(type);
            for (Object datum : new RandomData(schema, 25, 20261125L)) {
                for (boolean blocking : new boolean[] {false, true}) {
                    byte[] body = encode(schema, datum, blocking);
                    Object expected = new GenericDatumReader<>(schema)
                            .read(null, DecoderFactory.get().binaryDecoder(body, null));
                    BoundedBinaryDecoder in = decoder(body);

                    Object actual = new GenericDatumReader<>(schema).read(null, in);

                    assertThat(actual)
                            .as("%s, blocking encoder %s", schema.getName(), blocking)
                            .isEqualTo(expected);
                    assertThat(in.remaining()).isZero();
                }
            }
        }
    }

    @Test
    void skipsFieldsTheReaderDropsIncludingArraysWrittenInSizedBlocks() throws IOException {
        Schema writer = Contract.schemaOf(TextEmbeddingResult.class);
        Schema reader = new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"TextEmbeddingResult\","
                                + "\"namespace\":\"io.modelpool.v1\",\"fields\":[{\"name\":\"workerId\",\"type\":\"string\"}]}");
        for (Object datum : new RandomData(writer, 25, 7L)) {
            byte[] body = encode(writer, datum, true);
            BoundedBinaryDecoder in = decoder(body);

            GenericData.Record projected = (GenericData.Record) new GenericDatumReader<>(writer, reader).read(null, in);

            assertThat(projected.get("workerId").toString())
                    .isEqualTo(((GenericData.Record) datum).get("workerId").toString());
            assertThat(in.remaining()).isZero();
        }
    }

    @Test
    void aStringDeclaring100MegabytesIsRejectedBeforeAnythingIsAllocated() {
        byte[] body = concat(zigzag(100L * 1024 * 1024), new byte[] {'a', 'b'});
        long start = System.nanoTime();

        assertThatThrownBy(() -> decoder(body).readString())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class)
                .hasMessageContaining("string declares 104857600 bytes");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void aLengthLongerThanWhatIsLeftButWithinTheLimitMeansTheValueWasCutShort() {
        byte[] body = concat(zigzag(50), new byte[] {'a', 'b', 'c'});

        assertThatThrownBy(() -> decoder(body).readBytes(null))
                .isInstanceOf(EOFException.class)
                .hasMessageContaining("bytes declares 50 bytes but only 3 remain");
    }

    @Test
    void anArrayBlockDeclaringABillionItemsIsRejectedWithoutSizingAList() {
        byte[] body = concat(zigzag(1_000_000_000L), new byte[] {2, 4, 6});

        assertThatThrownBy(() -> decoder(body).readArrayStart())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class)
                .hasMessageContaining("1000000000 items");
    }

    @Test
    void anArrayOfNullsMayDeclareMoreItemsThanBytesButOnlyWithinTheBudget() throws IOException {
        byte[] body = concat(zigzag(1_000), zigzag(0));
        BoundedBinaryDecoder generous = new BoundedBinaryDecoder(body, 0, body.length, LIMIT, true, 5_000);
        BoundedBinaryDecoder stingy = new BoundedBinaryDecoder(body, 0, body.length, LIMIT, true, 999);

        assertThat(generous.readArrayStart()).isEqualTo(1_000);
        assertThatThrownBy(stingy::readArrayStart).isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class);
    }

    @Test
    void aMapBlockNeedsAtLeastOneBytePerEntry() {
        byte[] body = concat(zigzag(10), new byte[] {0, 0, 0});

        assertThatThrownBy(() -> decoder(body).readMapStart()).isInstanceOf(EOFException.class);
    }

    @Test
    void negativeLengthsAreMalformed() {
        assertThatThrownBy(() -> decoder(zigzag(-5)).readString())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class)
                .hasMessageContaining("negative length");
    }

    @Test
    void varintsLongerThanAvroAllowsAreMalformed() {
        byte[] elevenBytes = {
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            (byte) 0xFF,
            0x01
        };
        byte[] sixBytes = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x01};

        assertThatThrownBy(() -> decoder(elevenBytes).readLong())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class);
        assertThatThrownBy(() -> decoder(sixBytes).readInt())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class);
    }

    @Test
    void extremeIntsAndLongsRoundTrip() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        encoder.writeInt(Integer.MIN_VALUE);
        encoder.writeInt(Integer.MAX_VALUE);
        encoder.writeLong(Long.MIN_VALUE);
        encoder.writeLong(Long.MAX_VALUE);
        encoder.writeFloat(Float.NaN);
        encoder.writeDouble(-0.0);
        encoder.flush();
        BoundedBinaryDecoder in = decoder(out.toByteArray());

        assertThat(List.of(in.readInt(), in.readInt())).containsExactly(Integer.MIN_VALUE, Integer.MAX_VALUE);
        assertThat(List.of(in.readLong(), in.readLong())).containsExactly(Long.MIN_VALUE, Long.MAX_VALUE);
        assertThat(in.readFloat()).isNaN();
        assertThat(Double.doubleToRawLongBits(in.readDouble())).isEqualTo(Double.doubleToRawLongBits(-0.0));
        assertThat(in.remaining()).isZero();
    }

    @Test
    void aBooleanByteOtherThanZeroOrOneIsMalformed() {
        assertThatThrownBy(() -> decoder(new byte[] {2}).readBoolean())
                .isInstanceOf(BoundedBinaryDecoder.MalformedBytesException.class);
    }

    @Test
    void readingPastTheEndIsAnEndOfFile() {
        assertThatThrownBy(() -> decoder(new byte[0]).readInt()).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> decoder(new byte[3]).readDouble()).isInstanceOf(EOFException.class);
    }

    @Test
    void onlyArraysWhoseItemsCanTakeZeroBytesWidenTheItemBound() {
        Schema nulls = new Schema.Parser()
                .parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":["
                        + "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"null\"}}]}");
        Schema emptyRecords = new Schema.Parser()
                .parse(
                        "{\"type\":\"record\",\"name\":\"S\",\"fields\":["
                                + "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"E\",\"fields\":[]}}}]}");

        assertThat(AvroDeserializerCore.hasZeroByteItems(nulls)).isTrue();
        assertThat(AvroDeserializerCore.hasZeroByteItems(emptyRecords)).isTrue();
        for (Class<? extends SpecificRecord> type : Contract.recordClasses()) {
            assertThat(AvroDeserializerCore.hasZeroByteItems(Contract.schemaOf(type)))
                    .as(type.getSimpleName())
                    .isFalse();
        }
    }

    private static BoundedBinaryDecoder decoder(byte[] body) {
        return new BoundedBinaryDecoder(body, 0, body.length, LIMIT, false, LIMIT);
    }

    static byte[] encode(Schema schema, Object datum, boolean blocking) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = blocking
                ? new EncoderFactory().configureBlockSize(64).blockingBinaryEncoder(out, null)
                : EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(datum, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    static byte[] zigzag(long value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            encoder.writeLong(value);
            encoder.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    static byte[] concat(byte[]... parts) {
        List<byte[]> list = new ArrayList<>(List.of(parts));
        int length = list.stream().mapToInt(p -> p.length).sum();
        ByteBuffer buffer = ByteBuffer.allocate(length);
        list.forEach(buffer::put);
        return buffer.array();
    }
}
