package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.ImageEmbeddingRequest;
import io.modelpool.v1.RequestPriority;
import io.modelpool.v1.TextEmbeddingRequest;
import io.modelpool.v1.TextToImageRequest;
import io.modelpool.v1.TextToTextRequest;
import io.modelpool.v1.VisionRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/**
 * Backward and forward compatible evolution: a newer version adds a field with a default. Old records stay
 * readable after the subject moves on, and old readers read new records.
 */
class SchemaEvolutionTest {
    private final Map<String, Object> config = DevRegistry.config();
    private final Serializer<GenericRecord> generic = ConfluentAvroSerde.genericSerializer(config, false);

    @Test
    void aGeneratedClassReadsBytesFromAnOlderProducerFillingTheNewFieldWithItsDefault() {
        String topic = DevRegistry.uniqueTopic("evolve");
        TextEmbeddingRequest current = ContractSamples.textEmbeddingRequest();
        Schema older = TextEmbeddingRequest.getClassSchema();
        GenericRecord old =
                copy(current, withFields(older, field -> !field.name().equals("inputType")));
        byte[] oldBytes = generic.serialize(topic, old);
        ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false)
                .serialize(topic, current);

        TextEmbeddingRequest read = ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false)
                .deserialize(topic, oldBytes);

        assertThat(read.getInputType()).isEqualTo(EmbeddingInputType.DOCUMENT);
        assertThat(read.getTexts()).isEqualTo(current.getTexts());
        assertThat(read.getDeadline()).isEqualTo(current.getDeadline());
    }

    @Test
    void theRegistryAcceptsEveryRequestWithItsPriorityAfterTheRequestWithoutAndOldBytesReadAsNoPriority() {
        try (SchemaRegistryClient registry = DevRegistry.client()) {
            for (Schema current : List.of(
                    TextEmbeddingRequest.getClassSchema(),
                    TextToTextRequest.getClassSchema(),
                    ImageEmbeddingRequest.getClassSchema(),
                    VisionRequest.getClassSchema(),
                    TextToImageRequest.getClassSchema())) {
                String subject = DevRegistry.uniqueTopic("priority") + "-value";
                registry.register(
                        subject, withFields(current, field -> !field.name().equals("priority")));

                assertThat(registry.register(subject, current))
                        .as(current.getName())
                        .isPositive();
            }
            // the check has teeth: the same field without its default is refused
            String subject = DevRegistry.uniqueTopic("priority") + "-value";
            Schema current = TextEmbeddingRequest.getClassSchema();
            registry.register(
                    subject, withFields(current, field -> !field.name().equals("priority")));
            Schema.Field priority = current.getField("priority");
            Schema noDefault = withFields(
                    current,
                    field -> !field.name().equals("priority"),
                    new Schema.Field("priority", priority.schema(), priority.doc()));
            assertThatThrownBy(() -> registry.register(subject, noDefault))
                    .isInstanceOf(RegistryErrorException.class)
                    .hasMessageContaining("incompatible")
                    .hasMessageContaining("priority");
        }
        String topic = DevRegistry.uniqueTopic("priority");
        TextEmbeddingRequest current = ContractSamples.textEmbeddingRequest();
        current.setPriority(RequestPriority.BULK);
        byte[] oldBytes = generic.serialize(
                topic,
                copy(
                        current,
                        withFields(
                                TextEmbeddingRequest.getClassSchema(),
                                field -> !field.name().equals("priority"))));
        byte[] newBytes = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false)
                .serialize(topic, current);
        var reader = ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false);

        assertThat(reader.deserialize(topic, oldBytes).getPriority()).isNull();
        assertThat(reader.deserialize(topic, newBytes).getPriority()).isEqualTo(RequestPriority.BULK);
    }

    @Test
    void aV1GeneratedClassReadsV2BytesIgnoringTheFieldItDoesNotKnow() {
        String topic = DevRegistry.uniqueTopic("evolve");
        TextEmbeddingRequest v1 = ContractSamples.textEmbeddingRequest();
        byte[] v1Bytes = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false)
                .serialize(topic, v1);

        byte[] v2Bytes = generic.serialize(topic, withWeight(v1, 5));
        TextEmbeddingRequest read = ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false)
                .deserialize(topic, v2Bytes);

        assertThat(ConfluentWireFormat.peekSchemaId(v2Bytes)).isNotEqualTo(ConfluentWireFormat.peekSchemaId(v1Bytes));
        assertThat(read).isEqualTo(v1);
    }

    @Test
    void aGenericV2ReaderReadsV1BytesAndAGenericV1ReaderReadsV2Bytes() {
        String topic = DevRegistry.uniqueTopic("evolve");
        byte[] v1Bytes = generic.serialize(topic, Greetings.v1("hello"));
        byte[] v2Bytes = generic.serialize(topic, Greetings.v2("bonjour", "fr"));

        GenericRecord v1ReadAsV2 = ConfluentAvroSerde.genericDeserializer(Greetings.V2, config, false)
                .deserialize(topic, v1Bytes);
        GenericRecord v2ReadAsV1 = ConfluentAvroSerde.genericDeserializer(Greetings.V1, config, false)
                .deserialize(topic, v2Bytes);

        assertThat(v1ReadAsV2.getSchema().getFields()).hasSize(2);
        assertThat(v1ReadAsV2.get("text").toString()).isEqualTo("hello");
        assertThat(v1ReadAsV2.get("language").toString()).isEqualTo("en");
        assertThat(v2ReadAsV1.getSchema().getFields()).hasSize(1);
        assertThat(v2ReadAsV1.get("text").toString()).isEqualTo("bonjour");
    }

    @Test
    void withoutAReaderSchemaAGenericReaderSeesEachRecordAsItWasWritten() {
        String topic = DevRegistry.uniqueTopic("evolve");
        byte[] v1Bytes = generic.serialize(topic, Greetings.v1("hello"));
        byte[] v2Bytes = generic.serialize(topic, Greetings.v2("ciao", "it"));

        var deserializer = ConfluentAvroSerde.genericDeserializer(config, false);

        assertThat(deserializer.deserialize(topic, v1Bytes)).isEqualTo(Greetings.v1("hello"));
        assertThat(deserializer.deserialize(topic, v2Bytes)).isEqualTo(Greetings.v2("ciao", "it"));
    }

    /** TextEmbeddingRequest's schema plus {@code weight: int = 0}: what a later producer might send. */
    private static GenericRecord withWeight(TextEmbeddingRequest v1, int weight) {
        Schema.Field extra = new Schema.Field("weight", Schema.create(Schema.Type.INT), "A later field.", 0);
        GenericRecord v2 = copy(v1, withFields(TextEmbeddingRequest.getClassSchema(), field -> true, extra));
        v2.put("weight", weight);
        return v2;
    }

    /** The same record name and namespace with the fields {@code keep} accepts, then {@code extra}. */
    private static Schema withFields(Schema base, Predicate<Schema.Field> keep, Schema.Field... extra) {
        List<Schema.Field> fields = new ArrayList<>();
        for (Schema.Field field : base.getFields()) {
            if (keep.test(field)) {
                fields.add(new Schema.Field(field, field.schema()));
            }
        }
        fields.addAll(List.of(extra));
        return Schema.createRecord(base.getName(), base.getDoc(), base.getNamespace(), false, fields);
    }

    /** The request's values in a generic record of {@code schema}, for the fields that schema has. */
    private static GenericRecord copy(TextEmbeddingRequest request, Schema schema) {
        GenericData.Record record = new GenericData.Record(schema);
        for (Schema.Field field : schema.getFields()) {
            Object value = switch (field.name()) {
                case "id" -> request.getId();
                case "jobId" -> request.getJobId();
                case "model" -> request.getModel();
                case "deadline" ->
                    request.getDeadline() == null ? null : request.getDeadline().toEpochMilli();
                case "texts" -> request.getTexts();
                case "inputType" ->
                    new GenericData.EnumSymbol(
                            field.schema(), request.getInputType().name());
                case "priority" ->
                    request.getPriority() == null
                            ? null
                            : new GenericData.EnumSymbol(
                                    field.schema().getTypes().get(1),
                                    request.getPriority().name());
                default -> field.defaultVal();
            };
            record.put(field.name(), value);
        }
        return record;
    }
}
