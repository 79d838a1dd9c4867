package io.modelpool.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelpool.schemas.Contract;
import io.modelpool.schemas.testing.ContractSamples;
import io.modelpool.schemas.testing.DevRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** Every record of the contract survives the trip through the serde and the devstack registry unchanged. */
class ContractRoundTripTest {
    private final Map<String, Object> config = DevRegistry.config();

    @Test
    void everyContractRecordRoundTripsAsItsGeneratedClass() {
        for (SpecificRecord sample : ContractSamples.all()) {
            String topic = DevRegistry.uniqueTopic("roundtrip");

            SpecificRecord back = roundTrip(sample, topic);

            assertThat(back).as(sample.getSchema().getName()).isEqualTo(sample).isNotSameAs(sample);
        }
    }

    @Test
    void everyContractSchemaRoundTripsRandomGenericRecords() {
        Serializer<GenericRecord> serializer = ConfluentAvroSerde.genericSerializer(config, false);
        Deserializer<GenericRecord> deserializer = ConfluentAvroSerde.genericDeserializer(config, false);
        for (Class<? extends SpecificRecord> type : Contract.recordClasses()) {
            String topic = DevRegistry.uniqueTopic("generic");
            for (Object datum : new RandomData(Contract.schemaOf(type), 10, 11L)) {
                GenericRecord record = (GenericRecord) datum;

                GenericRecord back = deserializer.deserialize(topic, serializer.serialize(topic, record));

                assertThat(back).as(type.getSimpleName()).isEqualTo(record);
            }
        }
    }

    @Test
    void specificAndGenericSerializersWriteTheSameBytesForTheSameRecord() {
        Serializer<GenericRecord> genericSerializer = ConfluentAvroSerde.genericSerializer(config, false);
        Deserializer<GenericRecord> genericDeserializer = ConfluentAvroSerde.genericDeserializer(config, false);
        for (SpecificRecord sample : ContractSamples.all()) {
            String topic = DevRegistry.uniqueTopic("cross");
            byte[] specificBytes = serializer(sample).serialize(topic, sample);

            GenericRecord generic = genericDeserializer.deserialize(topic, specificBytes);

            assertThat(generic.getSchema().getFullName())
                    .isEqualTo(sample.getSchema().getFullName());
            assertThat(genericSerializer.serialize(topic, generic))
                    .as(sample.getSchema().getName())
                    .isEqualTo(specificBytes);
        }
    }

    @Test
    void recordsTravelThroughARealBrokerAndComeBackEqual() {
        String topic = DevRegistry.uniqueTopic("broker");
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, DevRegistry.bootstrapServers());
        producerProps.putAll(config);
        producerProps.put(AvroSerdeConfig.VALUE_SUBJECT_NAME_STRATEGY, "RecordNameStrategy");
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, DevRegistry.bootstrapServers());
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.putAll(config);
        List<SpecificRecord> samples = ContractSamples.all();
        // Thirteen record types on one topic: RecordNameStrategy gives each its own subject.
        Serializer<SpecificRecord> valueSerializer = new AvroSerializer<>();
        valueSerializer.configure(
                Map.copyOf(producerProps.entrySet().stream()
                        .collect(java.util.stream.Collectors.toMap(e -> (String) e.getKey(), Map.Entry::getValue))),
                false);
        Deserializer<SpecificRecord> valueDeserializer = new SpecificAvroDeserializer<>();
        valueDeserializer.configure(config, false);

        try (KafkaProducer<String, SpecificRecord> producer =
                new KafkaProducer<>(producerProps, new StringSerializer(), valueSerializer)) {
            for (SpecificRecord sample : samples) {
                producer.send(new ProducerRecord<>(topic, sample.getSchema().getName(), sample));
            }
            producer.flush();
        }
        List<SpecificRecord> received = new ArrayList<>();
        try (KafkaConsumer<String, SpecificRecord> consumer =
                new KafkaConsumer<>(consumerProps, new StringDeserializer(), valueDeserializer)) {
            // Assigned, not subscribed: no consumer group to join, so no rebalance delay.
            consumer.assign(consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (received.size() < samples.size() && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, SpecificRecord> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(record.value());
                }
            }
        }

        assertThat(received).containsExactlyInAnyOrderElementsOf(samples);
    }

    @SuppressWarnings("unchecked")
    private <T extends SpecificRecord> T roundTrip(T sample, String topic) {
        Class<T> type = (Class<T>) sample.getClass();
        Serializer<T> serializer = ConfluentAvroSerde.specificSerializer(type, config, false);
        Deserializer<T> deserializer = ConfluentAvroSerde.specificDeserializer(type, config, false);
        return deserializer.deserialize(topic, serializer.serialize(topic, sample));
    }

    @SuppressWarnings("unchecked")
    private <T extends SpecificRecord> Serializer<SpecificRecord> serializer(T sample) {
        return (Serializer<SpecificRecord>)
                (Serializer<?>) ConfluentAvroSerde.specificSerializer((Class<T>) sample.getClass(), config, false);
    }
}
