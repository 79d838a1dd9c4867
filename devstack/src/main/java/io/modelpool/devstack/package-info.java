/**
 * The local stack that {@code modelpool-worker local}, every integration test and the benchmarks run against:
 * {@link io.modelpool.devstack.DevStack} (an in-process Kafka node plus a schema registry),
 * {@link io.modelpool.devstack.SharedDevStack} (one per JVM, for tests) and the {@code modelpool-devstack}
 * command.
 *
 * <p>Owns starting, wiring and stopping the two parts. Must not import anything from other modelpool modules:
 * every module may depend on this one, so it depends on none of them.
 */
package io.modelpool.devstack;
