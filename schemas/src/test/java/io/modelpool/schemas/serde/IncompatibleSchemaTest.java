package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.modelpool.schemas.testing.DevRegistry;
import io.modelpool.schemas.testing.Greetings;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class IncompatibleSchemaTest {

    @Test
    void theRegistryRefusesAnIncompatibleSchemaAndTheSerializerNamesTheSubject() {
        String topic = DevRegistry.uniqueTopic("incompatible");
        Serializer<GenericRecord> serializer = ConfluentAvroSerde.genericSerializer(DevRegistry.config(), false);
        serializer.serialize(topic, Greetings.v1("hello"));
        GenericData.Record textAsInt = new GenericData.Record(Greetings.INCOMPATIBLE);
        textAsInt.put("text", 42);

        IncompatibleSchemaException e =
                catchThrowableOfType(IncompatibleSchemaException.class, () -> serializer.serialize(topic, textAsInt));

        assertThat(e.httpStatus()).isEqualTo(409);
        assertThat(e.subject()).contains(topic + "-value");
        assertThat(e)
                .hasMessageContaining("subject '" + topic + "-value'")
                .hasMessageContaining("topic '" + topic + "'")
                .hasMessageContaining("io.modelpool.schemas.testing.Greeting");
        assertThat(e).isInstanceOf(SchemaRegistryException.class).isNotInstanceOf(UndecodableRecordException.class);
    }
}
