/**
 * The common capability layer: the {@link io.modelpool.worker.capability.CapabilityService} seam the Kafka
 * intake calls, the {@link io.modelpool.worker.capability.CapabilityRegistry} that builds one pool per
 * capability from the manifest, and the mapping of pool errors to Avro error codes. Each capability lives in
 * a sub-package and plugs in through {@link io.modelpool.worker.capability.CapabilityProvider}, choosing
 * the code that runs a model by the manifest's {@code family}, never by a model's key.
 *
 * <p>It must not import {@code org.apache.kafka}: results go back to the intake through futures.
 */
package io.modelpool.worker.capability;
