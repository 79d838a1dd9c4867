package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greeting;
import io.modelpool.schemas.testing.Greetings;
import io.modelpool.v1.TextEmbeddingRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

/**
 * Backward and forward compatible evolution: version 2 adds a field with a default. Old records stay readable
 * after the subject moves on, and old readers read new records.
 */
class SchemaEvolutionTest {
  private final Map<String, Object> config = DevRegistry.config();
  private final Serializer<GenericRecord> generic = ConfluentAvroSerde.genericSerializer(config, false);

  @Test
  void aV2GeneratedClassReadsV1BytesFillingTheNewFieldWithItsDefault() {
    String topic = DevRegistry.uniqueTopic("evolve");
    byte[] v1Bytes = generic.serialize(topic, Greetings.v1("hello"));
    generic.serialize(topic, Greetings.v2("hallo", "de"));

    Greeting read = ConfluentAvroSerde.specificDeserializer(Greeting.class, config, false).deserialize(topic, v1Bytes);

    assertThat(read.getText()).isEqualTo("hello");
    assertThat(read.getLanguage()).isEqualTo("en");
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
    Schema v1Schema = TextEmbeddingRequest.getClassSchema();
    List<Schema.Field> fields = new ArrayList<>();
    for (Schema.Field field : v1Schema.getFields()) {
      fields.add(new Schema.Field(field, field.schema()));
    }
    fields.add(new Schema.Field("priority", Schema.create(Schema.Type.INT), "Scheduling priority.", 0));
    Schema v2Schema = Schema.createRecord(v1Schema.getName(), v1Schema.getDoc(), v1Schema.getNamespace(), false,
        fields);
    GenericData.Record v2 = new GenericData.Record(v2Schema);
    v2.put("id", v1.getId());
    v2.put("jobId", v1.getJobId());
    v2.put("model", v1.getModel());
    v2.put("deadline", v1.getDeadline().toEpochMilli());
    v2.put("texts", v1.getTexts());
    v2.put("inputType", new GenericData.EnumSymbol(v1Schema.getField("inputType").schema(), v1.getInputType().name()));
    v2.put("priority", priority);
    return v2;
  }
}
