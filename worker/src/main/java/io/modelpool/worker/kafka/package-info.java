/**
 * The Kafka side of the worker. {@link io.modelpool.worker.kafka.Intake} is the loop (poll, dispatch, pause
 * reconciliation, event pump); {@link io.modelpool.worker.kafka.Dispatcher} decodes and hands records to their
 * capability; {@link io.modelpool.worker.kafka.InFlightTracker} follows every record (dispatched, computed, sent,
 * done, with assignment epochs) over the {@link io.modelpool.worker.kafka.OffsetLedger};
 * {@link io.modelpool.worker.kafka.Publisher} encodes and sends, with {@link io.modelpool.worker.kafka.Publishability}
 * replacing what can never be published and {@link io.modelpool.worker.kafka.DeadLetters} building capped dead
 * letters; one {@link io.modelpool.worker.kafka.Delivery} per guarantee, chosen once by the
 * {@link io.modelpool.worker.kafka.Guarantee} (no other class branches on it), commits;
 * {@link io.modelpool.worker.kafka.IntakeEvents} handles what comes back from pool and producer threads;
 * {@link io.modelpool.worker.kafka.Admission} bounds the work in flight; {@link io.modelpool.worker.kafka.Drain}
 * and {@link io.modelpool.worker.kafka.Rebalance} bound revocations, {@link io.modelpool.worker.kafka.IntakeShutdown}
 * runs the shutdown sequence within one deadline ({@link io.modelpool.worker.kafka.CloseBudget}), and
 * {@link io.modelpool.worker.kafka.ClientClose} closes the clients within what is left of it.
 * Work a capability cut at shutdown comes back abandoned: it is neither published nor committed.
 *
 * <p>Only the intake thread touches Kafka clients. Pool workers never do: their completions come back through a
 * queue. May import the capability layer's seam ({@code CapabilityServices}, {@code CapabilityService},
 * {@code Outcome}, {@code RequestFields}, {@code RequestContext}, {@code RequestPriorities},
 * {@code AbandonedAtShutdownException}), the pool's refusals ({@code PoolError}, {@code PoolRejectedException}) and
 * withdrawal scope ({@code Withdrawal}, {@code Withdrawals}), and the schemas module; must not import the pool core's
 * internals or ONNX Runtime.
 *
 * <p><b>Exactly once, and why it is built this way.</b> Pool threads hand outcomes to the intake thread, which
 * alone sends them, so every send of a transaction happens on one producer between {@code beginTransaction} and
 * {@code commitTransaction}, on the thread that also calls {@code sendOffsetsToTransaction} with the consumer's
 * group metadata. A transaction must commit exactly the offsets whose outcomes it (or an earlier one) carries, in
 * both directions: an offset committed without its outcome loses a request, and an outcome committed above the
 * committed position is published again after a crash. Offsets commit as one position per partition, so outcomes
 * enter transactions in offset order per partition ({@link io.modelpool.worker.kafka.InOrderRelease}); an outcome
 * counts as done when it is sent, because it becomes visible with the transaction or not at all. An aborted
 * transaction's outcomes are sent again from memory in the next one. Kafka's group-generation check on
 * {@code sendOffsetsToTransaction} keeps a member that lost its partitions from committing them; the stable
 * {@code transactional.id} lets a restarted worker fence its predecessor and abort the transaction a crash left open
 * at once, instead of after {@code transaction.timeout.ms}.
 */
package io.modelpool.worker.kafka;
