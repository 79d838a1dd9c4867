package io.modelpool.worker.kafka;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.Topics;
import io.modelpool.schemas.registry.SchemaRegistryClient;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.schemas.registry.RegistryUnreachableException;
import io.modelpool.schemas.serde.AvroSerdeException;
import io.modelpool.schemas.serde.RegistryUnavailableException;
import io.modelpool.schemas.serde.UndecodableRecordException;
import io.modelpool.v1.Capability;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link RecordCodec} over the schemas module's Confluent-wire Avro serde, with one registry client (and so one id
 * and schema cache) shared by every topic. On decoding, only an {@link UndecodableRecordException} (wrong magic
 * byte, truncated frame, unknown schema id, malformed Avro) is the record's fault and leads to a dead letter; every
 * other serde failure (registry unavailable, credentials refused) is a dependency failure the intake waits out. Requests are read into the generated class of their topic's capability,
 * with Avro schema resolution from whatever compatible writer schema the producer used.
 */
public final class SerdeCodec implements RecordCodec {

    private final SchemaRegistryClient registry;
    private final Map<String, Deserializer<? extends SpecificRecord>> requestDeserializers = new HashMap<>();
    private final Serializer<SpecificRecord> serializer;

    public SerdeCodec(Map<String, Object> registryConfig, String topicPrefix, Set<Capability> capabilities) {
        this.registry = ConfluentAvroSerde.registryClient(registryConfig);
        for (Capability c : capabilities) {
            requestDeserializers.put(Topics.requests(topicPrefix, c),
                    ConfluentAvroSerde.specificDeserializer(Contract.requestClass(c), registry, registryConfig,
                            false));
        }
        this.serializer = ConfluentAvroSerde.specificSerializer(SpecificRecord.class, registry, registryConfig,
                false);
    }

    @Override
    public SpecificRecord decode(String topic, Headers headers, byte[] value) {
        Deserializer<? extends SpecificRecord> d = requestDeserializers.get(topic);
        if (d == null) {
            throw new SerializationException("topic " + topic + " is not a request topic of this worker");
        }
        try {
            return d.deserialize(topic, headers, value);
        } catch (UndecodableRecordException e) {
            throw e;
        } catch (AvroSerdeException e) {
            // Not the record's fault (registry down, credentials refused, ...): dead-lettering would throw away
            // good records, so the intake pauses and retries instead.
            throw new DependencyUnavailableException(e.getMessage(), e);
        }
    }

    @Override
    public byte[] encode(String topic, Headers headers, SpecificRecord value) {
        try {
            return serializer.serialize(topic, headers, value);
        } catch (RegistryUnavailableException | RegistryUnreachableException e) {
            throw new DependencyUnavailableException(e.getMessage(), e);
        }
    }
}
