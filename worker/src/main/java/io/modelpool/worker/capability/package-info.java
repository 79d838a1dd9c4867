/**
 * The common capability layer: the {@link io.modelpool.worker.capability.CapabilityService} seam the Kafka
 * intake calls and the {@link io.modelpool.worker.capability.Outcome} it answers with (the result record and its
 * envelope), {@link io.modelpool.worker.capability.CapabilityServices}, the narrow view of the pools the intake
 * gets; {@link io.modelpool.worker.capability.PooledService}, the request skeleton every pooled capability shares;
 * the {@link io.modelpool.worker.capability.CapabilityRegistry} that validates the manifest against the providers
 * and builds the {@link io.modelpool.worker.capability.PoolGroup} (one pool per capability, and their lifecycle);
 * the pieces capabilities share (pool configuration from the manifest, the close-guarded tokenizer, L2
 * normalisation); and the mapping of pool errors to Avro error codes. Each capability lives in
 * a sub-package and plugs in through {@link io.modelpool.worker.capability.CapabilityProvider}, choosing
 * the code that runs a model by the manifest's {@code family}, never by a model's key.
 *
 * <p>It must not import {@code org.apache.kafka}: results go back to the intake through futures.
 */
package io.modelpool.worker.capability;
