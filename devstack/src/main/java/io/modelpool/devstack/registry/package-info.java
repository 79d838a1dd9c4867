/**
 * A Confluent-compatible schema registry for Avro: the REST API ({@code RegistryHttpHandler}), its operations
 * ({@code RegistryService}), the state rebuilt from the store's log ({@code RegistryState}) and the store, a
 * compacted Kafka topic ({@code KafkaSchemaStore}, {@code StoreRecord}).
 *
 * <p>Talks to Kafka through the Kafka clients only, so it runs against any cluster; must not import
 * {@code io.modelpool.devstack.kafka} or Kafka's server internals, nor other modelpool modules.
 */
package io.modelpool.devstack.registry;
