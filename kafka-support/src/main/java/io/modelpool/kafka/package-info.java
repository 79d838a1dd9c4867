/**
 * Kafka helpers that production code and the local stack share, built on kafka-clients only: {@link
 * io.modelpool.kafka.TopicReadiness} waits until freshly created topics accept writes, on any cluster.
 *
 * <p>A module of its own because both the worker (which must not depend on the devstack's broker) and the devstack
 * (which the schemas module tests with, so it cannot depend on schemas) use it. It must not import anything of
 * modelpool or any Kafka artifact beyond kafka-clients.
 */
package io.modelpool.kafka;
