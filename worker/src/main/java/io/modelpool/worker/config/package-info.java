/**
 * Typed, validated worker configuration: every key is declared once in {@link io.modelpool.worker.config.WorkerConfig}
 * with its type, default, validator and documentation; a file, the environment and command-line overrides are merged
 * and checked at start-up, before anything connects. docs/configuration.md is generated from the same declarations.
 *
 * <p>Must not import the pool, capability, runtime or Kafka intake packages.
 */
package io.modelpool.worker.config;
