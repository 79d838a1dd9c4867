package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import io.modelpool.v1.EmbeddingInputType;
import io.modelpool.v1.TextEmbeddingRequest;
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
    GenericRecord old = copy(current, withFields(older, field -> !field.name().equals("inputType")));
    byte[] oldBytes = generic.serialize(topic, old);
    ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false).serialize(topic, current);

    TextEmbeddingRequest read = ConfluentAvroSerde.specificDeserializer(TextEmbeddingRequest.class, config, false)
        .deserialize(topic, oldBytes);

    assertThat(read.getInputType()).isEqualTo(EmbeddingInputType.DOCUMENT);
    assertThat(read.getTexts()).isEqualTo(current.getTexts());
    assertThat(read.getDeadline()).isEqualTo(current.getDeadline());
  }

  @Test
  void aV1GeneratedClassReadsV2BytesIgnoringTheFieldItDoesNotKnow() {
    String topic = DevRegistry.uniqueTopic("evolve");
    TextEmbeddingRequest v1 = ContractSamples.textEmbeddingRequest();
    byte[] v1Bytes =
        ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, config, false).serialize(topic, v1);

    byte[] v2Bytes = generic.serialize(topic, withPriority(v1, 5));
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

    GenericRecord v1ReadAsV2 =
        ConfluentAvroSerde.genericDeserializer(Greetings.V2, config, false).deserialize(topic, v1Bytes);
    GenericRecord v2ReadAsV1 =
        ConfluentAvroSerde.genericDeserializer(Greetings.V1, config, false).deserialize(topic, v2Bytes);

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

  /** TextEmbeddingRequest's schema plus {@code priority: int = 0}: what a v2 producer might send. */
  private static GenericRecord withPriority(TextEmbeddingRequest v1, int priority) {
    Schema.Field extra = new Schema.Field("priority", Schema.create(Schema.Type.INT), "Scheduling priority.", 0);
    GenericRecord v2 = copy(v1, withFields(TextEmbeddingRequest.getClassSchema(), field -> true, extra));
    v2.put("priority", priority);
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
        case "deadline" -> request.getDeadline() == null ? null : request.getDeadline().toEpochMilli();
        case "texts" -> request.getTexts();
        case "inputType" -> new GenericData.EnumSymbol(field.schema(), request.getInputType().name());
        default -> field.defaultVal();
      };
      record.put(field.name(), value);
    }
    return record;
  }
}
