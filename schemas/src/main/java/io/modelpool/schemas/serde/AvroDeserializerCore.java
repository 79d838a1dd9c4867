package io.modelpool.schemas.serde;

import io.modelpool.schemas.internal.BoundedCache;
import io.modelpool.schemas.internal.GeneratedClassTrust;
import io.modelpool.schemas.registry.NotAvroSchemaException;
import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.RegistryUnreachableException;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import java.io.EOFException;
import java.io.IOException;
import java.util.HashSet;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.BiFunction;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.DatumReader;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;

/**
 * What every deserializer does, in this order, so that the cheapest checks run first and no registry call is
 * made for bytes that cannot be a record: size limit, magic byte, header length, writer schema by id, reader
 * schema, bounded decoding, nothing left over. Thread-safe.
 */
final class AvroDeserializerCore<T> implements AutoCloseable {

    /** Chooses the reader schema and builds the datum reader for a writer schema. */
    interface ReaderChoice<T> {
        Schema readerSchema(String topic, int schemaId, Schema writer);

        DatumReader<T> datumReader(Schema writer, Schema reader);
    }

    private record PlanKey(int schemaId, Schema reader) {}

    private record Plan<T>(Schema writer, DatumReader<T> reader, boolean zeroByteItems) {}

    private final SchemaRegistryClient client;
    private final boolean ownsClient;
    private final int maxPayloadBytes;
    private final ReaderChoice<T> choice;
    private final BoundedCache<PlanKey, Plan<T>> plans;

    AvroDeserializerCore(
            SchemaRegistryClient client, boolean ownsClient, AvroSerdeConfig config, ReaderChoice<T> choice) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.maxPayloadBytes = config.maxPayloadBytes();
        this.choice = choice;
        this.plans = new BoundedCache<>(config.cacheCapacity());
    }

    T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length > maxPayloadBytes) {
            OptionalInt declaredId = ConfluentWireFormat.peekSchemaId(data);
            throw new MalformedAvroException(
                    "payload too large: " + data.length + " bytes, more than " + AvroSerdeConfig.MAX_PAYLOAD_BYTES + "="
                            + maxPayloadBytes,
                    topic,
                    declaredId.isPresent() ? declaredId.getAsInt() : null,
                    null);
        }
        if (data.length == 0) {
            throw new TruncatedPayloadException(
                    "empty value: a Confluent-framed value has at least " + ConfluentWireFormat.HEADER_SIZE + " bytes",
                    topic,
                    null,
                    null);
        }
        if (data[0] != ConfluentWireFormat.MAGIC_BYTE) {
            throw new WrongMagicByteException(topic, data[0]);
        }
        if (data.length < ConfluentWireFormat.HEADER_SIZE) {
            throw new TruncatedPayloadException(
                    "truncated header: " + data.length + " bytes, shorter than the " + ConfluentWireFormat.HEADER_SIZE
                            + "-byte magic byte and schema id",
                    topic,
                    null,
                    null);
        }
        int schemaId = ConfluentWireFormat.readSchemaId(data);
        Plan<T> plan = plan(topic, schemaId);
        return decode(topic, schemaId, plan, data);
    }

    private Plan<T> plan(String topic, int schemaId) {
        Schema writer = writerSchema(topic, schemaId);
        Schema reader;
        try {
            reader = choice.readerSchema(topic, schemaId, writer);
        } catch (RegistryUnreachableException e) {
            throw new RegistryUnavailableException(
                    "schema registry unavailable while fetching the reader schema: " + e.getMessage(),
                    topic,
                    schemaId,
                    e);
        } catch (RegistryErrorException e) {
            throw new SchemaRegistryException(
                    "schema registry refused the reader schema: " + e.getMessage(),
                    topic,
                    null,
                    schemaId,
                    e.httpStatus(),
                    e.errorCode(),
                    e);
        } catch (NotAvroSchemaException e) {
            throw new SchemaRegistryException(
                    "the reader schema is not usable: " + e.getMessage(), topic, null, schemaId, 200, 200, e);
        }
        return plans.computeIfAbsent(
                new PlanKey(schemaId, reader),
                key -> new Plan<>(writer, choice.datumReader(writer, key.reader()), hasZeroByteItems(writer)));
    }

    private Schema writerSchema(String topic, int schemaId) {
        try {
            return client.schemaById(schemaId);
        } catch (RegistryUnreachableException e) {
            throw new RegistryUnavailableException(
                    "schema registry unavailable while fetching the writer schema: " + e.getMessage(),
                    topic,
                    schemaId,
                    e);
        } catch (RegistryErrorException e) {
            // Only the registry's own "schema not found" code condemns the record: a bare 404 from a proxy or a
            // wrong base URL would otherwise dead-letter every good record.
            if (e.errorCode() == RegistryErrorException.SCHEMA_NOT_FOUND) {
                throw new UnknownSchemaIdException(topic, schemaId, e);
            }
            throw new SchemaRegistryException(
                    "schema registry refused to return the writer schema: " + e.getMessage(),
                    topic,
                    null,
                    schemaId,
                    e.httpStatus(),
                    e.errorCode(),
                    e);
        } catch (NotAvroSchemaException e) {
            throw new MalformedAvroException("not an Avro schema: " + e.getMessage(), topic, schemaId, e);
        }
    }

    private T decode(String topic, int schemaId, Plan<T> plan, byte[] data) {
        int bodyLength = data.length - ConfluentWireFormat.HEADER_SIZE;
        BoundedBinaryDecoder in = new BoundedBinaryDecoder(
                data,
                ConfluentWireFormat.HEADER_SIZE,
                bodyLength,
                maxPayloadBytes,
                plan.zeroByteItems(),
                maxPayloadBytes);
        T value;
        String type = plan.writer().getFullName();
        try {
            value = plan.reader().read(null, in);
        } catch (EOFException e) {
            throw new TruncatedPayloadException(
                    "truncated Avro body: the " + type + " record ends early: " + e.getMessage(), topic, schemaId, e);
        } catch (IOException | RuntimeException | StackOverflowError e) {
            // Avro reports bad bytes as AvroRuntimeException, index and class-cast errors from the resolving
            // grammar; all of them mean "these bytes are not a record of the writer schema".
            throw new MalformedAvroException(
                    "malformed Avro body: not a valid " + type + " record: " + e, topic, schemaId, e);
        }
        if (in.remaining() != 0) {
            throw new MalformedAvroException(
                    "trailing bytes: " + in.remaining() + " bytes left after the " + type + " record",
                    topic,
                    schemaId,
                    null);
        }
        return value;
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }

    /** Whether some array in {@code schema} has items that may be encoded in zero bytes. */
    static boolean hasZeroByteItems(Schema schema) {
        return zeroItems(schema, new HashSet<>());
    }

    private static boolean zeroItems(Schema schema, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD:
                if (!seen.add(schema.getFullName())) {
                    return false;
                }
                return schema.getFields().stream().anyMatch(f -> zeroItems(f.schema(), seen));
            case ARRAY:
                return minimumSizeIsZero(schema.getElementType(), new HashSet<>())
                        || zeroItems(schema.getElementType(), seen);
            case MAP:
                return zeroItems(schema.getValueType(), seen);
            case UNION:
                return schema.getTypes().stream().anyMatch(t -> zeroItems(t, seen));
            default:
                return false;
        }
    }

    private static boolean minimumSizeIsZero(Schema schema, Set<String> seen) {
        switch (schema.getType()) {
            case NULL:
                return true;
            case FIXED:
                return schema.getFixedSize() == 0;
            case RECORD:
                // A record that contains itself without a union or array in between has no finite value at all.
                return seen.add(schema.getFullName())
                        && schema.getFields().stream().allMatch(f -> minimumSizeIsZero(f.schema(), seen));
            default:
                return false;
        }
    }

    /** Specific records: the generated class's schema is the reader schema. */
    static <T extends SpecificRecord> ReaderChoice<T> specific(Class<T> type, int cacheCapacity) {
        if (type != null) {
            GeneratedClassTrust.trust(type);
        }
        Schema fixedReader =
                type == null ? null : SpecificData.getForClass(type).getSchema(type);
        BoundedCache<String, Schema> readersByWriterName = new BoundedCache<>(cacheCapacity);
        return new ReaderChoice<>() {
            @Override
            public Schema readerSchema(String topic, int schemaId, Schema writer) {
                if (fixedReader != null) {
                    return fixedReader;
                }
                return readersByWriterName.computeIfAbsent(writer.getFullName(), name -> {
                    Class<? extends SpecificRecord> found = generatedClassFor(topic, schemaId, writer);
                    return SpecificData.getForClass(found).getSchema(found);
                });
            }

            @Override
            public DatumReader<T> datumReader(Schema writer, Schema reader) {
                Class<?> target = type != null ? type : generatedClassFor(null, null, reader);
                return new SpecificDatumReader<>(writer, reader, SpecificData.getForClass(target));
            }
        };
    }

    /**
     * The generated class named by a writer schema, loaded without initialising it, and used only if it really
     * is a generated record; only then are its classes trusted (see {@link GeneratedClassTrust}).
     */
    private static Class<? extends SpecificRecord> generatedClassFor(String topic, Integer schemaId, Schema writer) {
        String name = SpecificData.getClassName(writer);
        Class<?> found;
        try {
            found = Class.forName(name, false, SpecificData.get().getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            throw new MalformedAvroException(
                    "no generated class: no class " + name + " on the classpath to read the " + "record as",
                    topic,
                    schemaId,
                    e);
        }
        if (!SpecificRecord.class.isAssignableFrom(found)) {
            throw new MalformedAvroException(
                    "no generated class: " + name + " is not a generated Avro record", topic, schemaId, null);
        }
        Class<? extends SpecificRecord> type = found.asSubclass(SpecificRecord.class);
        GeneratedClassTrust.trust(type);
        return type;
    }

    /** Generic records: the configured reader schema, else the subject's latest version, else the writer's. */
    static ReaderChoice<Object> generic(Schema configuredReader, BiFunction<String, Schema, Schema> latestReader) {
        return new ReaderChoice<>() {
            @Override
            public Schema readerSchema(String topic, int schemaId, Schema writer) {
                if (configuredReader != null) {
                    return configuredReader;
                }
                if (latestReader != null) {
                    return latestReader.apply(topic, writer);
                }
                return writer;
            }

            @Override
            public DatumReader<Object> datumReader(Schema writer, Schema reader) {
                return new GenericDatumReader<>(writer, reader, GenericData.get());
            }
        };
    }
}
