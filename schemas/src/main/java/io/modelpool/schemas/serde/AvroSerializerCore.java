package io.modelpool.schemas.serde;

import io.modelpool.schemas.internal.BoundedCache;
import io.modelpool.schemas.internal.GeneratedClassTrust;
import io.modelpool.schemas.registry.RegisteredSchema;
import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.RegistryUnreachableException;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.registry.SubjectNameStrategy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.IndexedRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * What every serializer does: pick the subject, get the schema id (register, look up, or take the latest
 * version), write the header and the Avro body. Thread-safe: caches are bounded and synchronized, writers are
 * stateless.
 */
final class AvroSerializerCore implements AutoCloseable {
    /** Bounds of the output buffer's first size, which follows the last record's size (records of a topic are alike). */
    private static final int MIN_SIZE_HINT = 256;

    private static final int MAX_SIZE_HINT = 64 * 1024;

    private final SchemaRegistryClient client;
    private final boolean ownsClient;
    private final AvroSerdeConfig config;
    private final boolean isKey;
    private final SubjectNameStrategy strategy;
    private final BoundedCache<WriterKey, DatumWriter<Object>> writers;
    private final BoundedCache<ProjectionKey, GenericDatumReader<Object>> projections;
    /** Racy by design: any recent record's size is a good first guess. */
    private volatile int sizeHint = MIN_SIZE_HINT;

    private record WriterKey(Class<?> type, Schema schema) {}

    private record ProjectionKey(Schema from, Schema to) {}

    /** Where a record goes: the id in the header and the schema the body is written with. */
    private record Target(int id, Schema schema, boolean projected) {}

    AvroSerializerCore(SchemaRegistryClient client, boolean ownsClient, AvroSerdeConfig config, boolean isKey) {
        this.client = client;
        this.ownsClient = ownsClient;
        this.config = config;
        this.isKey = isKey;
        this.strategy = config.subjectNameStrategy(isKey);
        this.writers = new BoundedCache<>(config.cacheCapacity());
        this.projections = new BoundedCache<>(config.cacheCapacity());
    }

    byte[] serialize(String topic, IndexedRecord record) {
        if (record == null) {
            return null;
        }
        Schema schema = record.getSchema();
        String subject = strategy.subjectName(topic, isKey, schema);
        Target target = target(topic, subject, schema);
        Object datum = record;
        DatumWriter<Object> writer;
        try {
            if (target.projected()) {
                datum = project(record, schema, target.schema());
                writer = writers.computeIfAbsent(
                        new WriterKey(GenericData.Record.class, target.schema()),
                        key -> new GenericDatumWriter<>(key.schema(), GenericData.get()));
            } else {
                writer = writerFor(record);
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
            byte[] header = new byte[ConfluentWireFormat.HEADER_SIZE];
            ConfluentWireFormat.writeHeader(header, target.id());
            out.write(header);
            // Buffered, not direct: a direct encoder makes one synchronized stream write per value, which for an
            // embedding vector is hundreds of calls per record.
            BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
            writer.write(datum, encoder);
            encoder.flush();
            byte[] bytes = out.toByteArray();
            sizeHint = Math.min(MAX_SIZE_HINT, Math.max(MIN_SIZE_HINT, bytes.length));
            return bytes;
        } catch (IOException | RuntimeException e) {
            throw new UnencodableRecordException(
                    "cannot write a " + schema.getFullName() + " record with schema "
                            + target.schema().getFullName() + ": " + e,
                    topic,
                    target.id(),
                    e);
        }
    }

    private Target target(String topic, String subject, Schema schema) {
        try {
            if (config.autoRegisterSchemas()) {
                return new Target(client.register(subject, schema), schema, false);
            }
            if (config.useLatestVersion()) {
                RegisteredSchema latest = client.latestVersion(subject);
                if (latest.schema().equals(schema)) {
                    return new Target(latest.id(), schema, false);
                }
                if (config.latestCompatibilityStrict()) {
                    SchemaCompatibility.SchemaPairCompatibility compatibility =
                            SchemaCompatibility.checkReaderWriterCompatibility(latest.schema(), schema);
                    if (compatibility.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                        String why = compatibility.getResult().getIncompatibilities().stream()
                                .map(i -> i.getMessage() + " at " + i.getLocation())
                                .collect(Collectors.joining("; "));
                        throw new IncompatibleSchemaException(
                                "incompatible schema: latest version " + latest.version()
                                        + " of subject '" + subject + "' cannot read records of schema "
                                        + schema.getFullName()
                                        + ": " + why,
                                topic,
                                subject,
                                latest.id(),
                                409,
                                409,
                                null);
                    }
                }
                return new Target(latest.id(), latest.schema(), true);
            }
            return new Target(client.lookup(subject, schema).id(), schema, false);
        } catch (RegistryUnreachableException e) {
            throw new RegistryUnavailableException(
                    "schema registry unavailable for subject '" + subject + "': " + e.getMessage(), topic, null, e);
        } catch (RegistryErrorException e) {
            if (e.isIncompatibleSchema()) {
                throw new IncompatibleSchemaException(
                        "incompatible schema: the registry refused schema " + schema.getFullName() + " under subject '"
                                + subject + "': " + e.registryMessage(),
                        topic,
                        subject,
                        null,
                        e.httpStatus(),
                        e.errorCode(),
                        e);
            }
            String hint = e.isNotFound() && !config.autoRegisterSchemas()
                    ? " (" + AvroSerdeConfig.AUTO_REGISTER_SCHEMAS + "=false: register the schema first)"
                    : "";
            throw new SchemaRegistryException(
                    "schema registry refused schema " + schema.getFullName() + " under subject '" + subject + "'" + hint
                            + ": " + e.getMessage(),
                    topic,
                    subject,
                    null,
                    e.httpStatus(),
                    e.errorCode(),
                    e);
        }
    }

    /**
     * Rewrites a record in the subject's latest schema: encode it with its own schema, decode that with the
     * latest schema as reader (Avro schema resolution fills defaults and drops removed fields).
     */
    private Object project(IndexedRecord record, Schema from, Schema to) throws IOException {
        ByteArrayOutputStream own = new ByteArrayOutputStream(256);
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(own, null);
        writerFor(record).write(record, encoder);
        encoder.flush();
        GenericDatumReader<Object> reader = projections.computeIfAbsent(
                new ProjectionKey(from, to), key -> new GenericDatumReader<>(key.from(), key.to(), GenericData.get()));
        return reader.read(null, DecoderFactory.get().binaryDecoder(own.toByteArray(), null));
    }

    private DatumWriter<Object> writerFor(IndexedRecord record) {
        Class<?> type = record instanceof SpecificRecord ? record.getClass() : GenericData.Record.class;
        return writers.computeIfAbsent(new WriterKey(type, record.getSchema()), key -> {
            if (SpecificRecord.class.isAssignableFrom(key.type())) {
                GeneratedClassTrust.trust(key.type().asSubclass(SpecificRecord.class));
                return new SpecificDatumWriter<>(key.schema(), SpecificData.getForClass(key.type()));
            }
            return new GenericDatumWriter<>(key.schema(), GenericData.get());
        });
    }

    @Override
    public void close() {
        if (ownsClient) {
            client.close();
        }
    }
}
