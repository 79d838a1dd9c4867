package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.modelpool.schemas.registry.RegistryErrorException;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.TextEmbeddingRequest;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Subject name strategies and use.latest.version, as Confluent's serializers document them. */
class SubjectStrategyAndLatestVersionTest {
    private final SchemaRegistryClient client = DevRegistry.client();

    @AfterEach
    void closeClient() {
        client.close();
    }

    @Test
    void recordNameStrategyRegistersUnderTheRecordsFullNameWhateverTheTopic() {
        String first = DevRegistry.uniqueTopic("by-record");
        String second = DevRegistry.uniqueTopic("by-record");
        Serializer<JobRegistration> serializer = ConfluentAvroSerde.specificSerializer(
                JobRegistration.class,
                DevRegistry.config(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "RecordNameStrategy"),
                false);
        JobRegistration registration = ContractSamples.jobRegistration();

        byte[] onFirst = serializer.serialize(first, registration);
        byte[] onSecond = serializer.serialize(second, registration);

        int id = client.lookup("io.modelpool.v1.JobRegistration", JobRegistration.getClassSchema())
                .id();
        assertThat(ConfluentWireFormat.peekSchemaId(onFirst)).hasValue(id);
        assertThat(ConfluentWireFormat.peekSchemaId(onSecond)).hasValue(id);
        assertThatThrownBy(() -> client.latestVersion(first + "-value"))
                .isInstanceOfSatisfying(
                        RegistryErrorException.class,
                        e -> assertThat(e.errorCode()).isEqualTo(RegistryErrorException.SUBJECT_NOT_FOUND));
    }

    @Test
    void recordNameStrategyLetsSeveralRecordTypesShareATopicWhereTopicNameStrategyRefuses() {
        String topic = DevRegistry.uniqueTopic("mixed");
        Serializer<GenericRecord> byRecord = ConfluentAvroSerde.genericSerializer(
                DevRegistry.config(
                        AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY,
                        "io.confluent.kafka.serializers.subject.RecordNameStrategy"),
                false);
        Serializer<GenericRecord> byTopic = ConfluentAvroSerde.genericSerializer(DevRegistry.config(), false);
        GenericRecord request = GenericData.get()
                .deepCopy(TextEmbeddingRequest.getClassSchema(), asGeneric(ContractSamples.textEmbeddingRequest()));

        assertThat(byRecord.serialize(topic, request)).isNotEmpty();
        assertThat(byRecord.serialize(topic, Greetings.v2("hi", "en"))).isNotEmpty();
        byTopic.serialize(topic, Greetings.v2("hi", "en"));
        assertThatThrownBy(() -> byTopic.serialize(topic, request))
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("subject '" + topic + "-value'");
    }

    @Test
    void useLatestVersionWritesWithTheLatestRegisteredSchemaAndItsId() {
        String topic = DevRegistry.uniqueTopic("latest");
        client.register(topic + "-value", Greetings.V1);
        int v2Id = client.register(topic + "-value", Greetings.V2);
        Serializer<GenericRecord> serializer = ConfluentAvroSerde.genericSerializer(
                DevRegistry.config(
                        AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false, AvroSerdeConfig.USE_LATEST_VERSION, true),
                false);

        byte[] bytes = serializer.serialize(topic, Greetings.v1("hello"));
        GenericRecord read = ConfluentAvroSerde.genericDeserializer(DevRegistry.config(), false)
                .deserialize(topic, bytes);

        assertThat(ConfluentWireFormat.peekSchemaId(bytes)).hasValue(v2Id);
        assertThat(read.get("text").toString()).isEqualTo("hello");
        assertThat(read.get("language").toString()).isEqualTo("en");
    }

    @Test
    void useLatestVersionRefusesARecordTheLatestVersionCannotRead() {
        String topic = DevRegistry.uniqueTopic("latest");
        client.register(topic + "-value", Greetings.V1);
        Serializer<GenericRecord> serializer = ConfluentAvroSerde.genericSerializer(
                DevRegistry.config(
                        AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false, AvroSerdeConfig.USE_LATEST_VERSION, true),
                false);
        GenericData.Record textAsInt = new GenericData.Record(Greetings.INCOMPATIBLE);
        textAsInt.put("text", 7);

        IncompatibleSchemaException e =
                catchThrowableOfType(IncompatibleSchemaException.class, () -> serializer.serialize(topic, textAsInt));

        assertThat(e).hasMessageContaining("latest version 1 of subject '" + topic + "-value'");
    }

    @Test
    void withAutoRegistrationOffOnlyAnAlreadyRegisteredSchemaIsUsed() {
        String topic = DevRegistry.uniqueTopic("lookup");
        Serializer<GenericRecord> serializer = ConfluentAvroSerde.genericSerializer(
                DevRegistry.config(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, false), false);

        SchemaRegistryException refused = catchThrowableOfType(
                SchemaRegistryException.class, () -> serializer.serialize(topic, Greetings.v1("hello")));
        int id = client.register(topic + "-value", Greetings.V1);
        byte[] bytes = serializer.serialize(topic, Greetings.v1("hello"));

        assertThat(refused)
                .isNotInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("subject '" + topic + "-value'")
                .hasMessageContaining("auto.register.schemas=false");
        assertThat(refused.errorCode()).isEqualTo(RegistryErrorException.SUBJECT_NOT_FOUND);
        assertThat(ConfluentWireFormat.peekSchemaId(bytes)).hasValue(id);
    }

    @Test
    void aGenericDeserializerWithUseLatestVersionReadsOldRecordsInTheLatestShape() {
        String topic = DevRegistry.uniqueTopic("latest-read");
        byte[] v1Bytes = ConfluentAvroSerde.genericSerializer(DevRegistry.config(), false)
                .serialize(topic, Greetings.v1("hello"));
        client.register(topic + "-value", Greetings.V2);

        GenericRecord read = ConfluentAvroSerde.genericDeserializer(
                        DevRegistry.config(AvroSerdeConfig.USE_LATEST_VERSION, true), false)
                .deserialize(topic, v1Bytes);

        assertThat(read.getSchema()).isEqualTo(Greetings.V2);
        assertThat(read.get("language").toString()).isEqualTo("en");
    }

    private static GenericRecord asGeneric(TextEmbeddingRequest request) {
        byte[] bytes = ConfluentAvroSerde.specificSerializer(TextEmbeddingRequest.class, DevRegistry.config(), false)
                .serialize(DevRegistry.uniqueTopic("convert"), request);
        return ConfluentAvroSerde.genericDeserializer(DevRegistry.config(), false)
                .deserialize(DevRegistry.uniqueTopic("convert"), bytes);
    }
}
