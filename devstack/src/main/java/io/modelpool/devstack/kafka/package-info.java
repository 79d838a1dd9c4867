/**
 * The in-process Apache Kafka node: formatting its data directory, its single-node settings, stopping and
 * restarting it on the same ports.
 *
 * <p>The only package here that touches Kafka's server internals ({@code kafka.server}, {@code
 * org.apache.kafka.metadata}); must not import the registry or other modelpool modules.
 */
package io.modelpool.devstack.kafka;
