/**
 * The reliability and security suite: faults (SIGKILL loops, broker restarts, registry outages), load (a slowed
 * model, a rolling restart of a fleet) and hostile input, each against the devstack's real broker and registry with
 * workers in their own JVMs, and each checking that nothing is lost.
 *
 * <p>Every scenario has a short form (the default test run) and a full form ({@code -Preliability}, which sets
 * {@code modelpool.reliability.scale=full}); {@link io.modelpool.worker.reliability.Scale} picks the sizes. The
 * figures each run measured are appended to {@code target/reliability/figures.txt}; docs/reliability.md reports them
 * with the command that reproduces each.
 *
 * <p>Test code only: it drives workers as separate processes through {@code io.modelpool.worker.process} and reads
 * them through Kafka and {@code /metrics}. From the worker's main code it uses configuration key names only, never
 * the {@code kafka}, {@code pool} or {@code capability} packages; test fixtures of other packages (the process
 * harness, {@code observe.Scrape}, {@code capability.image.ImageFixtures}) are fine.
 */
package io.modelpool.worker.reliability;
