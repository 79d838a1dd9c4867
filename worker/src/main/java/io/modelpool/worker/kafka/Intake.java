package io.modelpool.worker.kafka;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consumer loop: request records in, pool work out, results back, offsets committed only behind acknowledged
 * outcomes.
 *
 * <p><b>Threads.</b> {@link #run()} is the intake thread. It alone touches the consumer and decides what the
 * producer sends. Pool workers and the producer's I/O thread report back through an event queue; they never call a
 * Kafka client. {@link #requestShutdown()} may be called from any thread (a signal handler).
 *
 * <p><b>Per record.</b> A record is decoded here. Undecodable bytes (not Confluent framing, unknown schema id, Avro
 * that does not parse, a tombstone, a value over {@code intake.max-request-bytes}) become a dead letter. A decoded
 * request goes to its capability, which answers every bad request with an error result. If the schema registry
 * cannot be reached or the pool's queue is full, the record is not dispatched: its partition is rewound to it and
 * intake pauses with backoff, so a good record is never dead-lettered because a dependency was briefly down.
 *
 * <p><b>Offsets.</b> Each dispatched record is registered in the {@link OffsetLedger}; it becomes done when the broker
 * acknowledges its result, error result or dead letter. Commits carry the ledger's contiguous done prefix, so the
 * committed position never passes an unfinished record.
 *
 * <p><b>Backpressure.</b> Unfinished records (dispatched, not yet acknowledged) are bounded by the high-water mark:
 * intake stops dispatching there (the rest of a poll's records are fetched again later), pauses every assigned
 * partition and resumes at the low-water mark, polling all the while, so {@code max.poll.interval.ms} is never at
 * risk. The mark therefore also bounds what a drain has to finish.
 *
 * <p><b>Rebalance.</b> On revocation, work of the revoked partitions gets up to the drain timeout to finish and be
 * acknowledged; the done prefix is committed before the callback returns. What did not finish is abandoned: not
 * committed, so the partition's next owner processes it again. Lost partitions are forgotten without committing.
 *
 * <p><b>Shutdown.</b> After {@link #requestShutdown()}: the pools reject new work, every partition is paused, nothing
 * more is dispatched (fetched records are left uncommitted), in-flight work drains for up to the drain timeout, the
 * outcomes are published and acknowledged, the done prefix is committed and the clients close.
 *
 * <p><b>Exactly once</b> ({@link Settings#exactlyOnce()}). The producer is transactional and the intake thread owns
 * its transactions through a {@link TransactionCycle}. Outcomes leave in offset order per partition
 * ({@link InOrderRelease}); each is sent in the open transaction and its offset counts as done at once, and the
 * transaction commits the done prefix with {@code sendOffsetsToTransaction} when it is {@code
 * transaction.interval-ms} old, holds {@code transaction.max-records} outcomes or nothing else is in flight, on
 * revocation (for what finished) and at shutdown. An aborted transaction's outcomes are sent again in the next
 * one. A fenced producer (a newer instance with the same {@code transactional.id}) stops the intake without
 * committing; the broker aborts the transaction it left open. The package documentation gives the reasoning.
 */
public final class Intake implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    /** Poll timeout while work is outstanding: short, so completions are published promptly. */
    private static final Duration BUSY_POLL = Duration.ofMillis(2);

    public static final String HEADER_ERROR_CLASS = "modelpool.error.class";
    public static final String HEADER_ERROR_MESSAGE = "modelpool.error.message";
    public static final String HEADER_SOURCE_TOPIC = "modelpool.error.source.topic";
    public static final String HEADER_SOURCE_PARTITION = "modelpool.error.source.partition";
    public static final String HEADER_SOURCE_OFFSET = "modelpool.error.source.offset";
    public static final String HEADER_WORKER = "modelpool.worker.id";

    /**
     * Settings the loop needs; built from {@code WorkerConfig} by the worker.
     *
     * @param publishLinger longest a computed outcome waits for others while more work is computing
     *                      ({@link PublishGate}); zero publishes each at once
     * @param publishMaxRecords outcomes that leave together at most, whatever the linger
     */
    public record Settings(
            String workerId,
            String topicPrefix,
            int maxRequestBytes,
            int highWater,
            int lowWater,
            Duration pollTimeout,
            Duration commitInterval,
            Duration retryBackoff,
            Duration retryBackoffMax,
            Duration drainTimeout,
            Duration closeTimeout,
            boolean leaveGroupOnClose,
            boolean exactlyOnce,
            Duration transactionInterval,
            int transactionMaxRecords,
            Duration publishLinger,
            int publishMaxRecords) {
    }

    /**
     * What a shutdown did, for the log line and the exit decision. {@code fatal}: the intake stopped on its own
     * because its transactional producer was fenced or failed beyond recovery; nothing was committed.
     */
    public record ShutdownReport(Duration elapsed, int drained, int abandoned, boolean committed, boolean fatal) {

        public ShutdownReport(Duration elapsed, int drained, int abandoned, boolean committed) {
            this(elapsed, drained, abandoned, committed, false);
        }

        public boolean clean() {
            return abandoned == 0 && committed && !fatal;
        }
    }

    private final Settings settings;
    private final CapabilityRegistry capabilities;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final RecordCodec codec;
    private final Map<String, Capability> requestTopics = new HashMap<>();
    private final Map<Capability, String> resultTopics = new HashMap<>();
    private final String deadLetterTopic;

    private final OffsetLedger ledger = new OffsetLedger();
    private final LinkedBlockingQueue<IntakeEvent> events = new LinkedBlockingQueue<>();
    private final ArrayDeque<InFlight> toPublish = new ArrayDeque<>();
    private final Backpressure backpressure;
    private final PublishGate publishGate;
    /** Records handed to the pool whose outcome has not come back yet: the gate's sign that more will follow. */
    private int computing;
    private final Backoff dependencyBackoff;
    private final Backoff publishBackoff;
    private final IntakeListener listener;
    /** exactly_once only: the open transaction, and the order in which outcomes may enter it. */
    private final TransactionCycle transaction;
    private final InOrderRelease release = new InOrderRelease();
    /** Set when the transactional producer was fenced or failed fatally: the intake stops without committing. */
    private volatile RuntimeException fatal;
    /** Outcomes that were sent in the transaction a fatal error left open: done in the ledger, never committed. */
    private int lostInFatalTransaction;

    private volatile boolean shutdownRequested;
    private volatile boolean assigned;
    private volatile ShutdownReport shutdownReport;
    private boolean dispatching = true;
    /** False once a timed-out drain abandoned the rest: late outcomes are then dropped, not published. */
    private boolean acceptingOutcomes = true;
    private boolean dependencyDown;
    private long lastCommitMs;
    private final Set<TopicPartition> pausedByUs = new HashSet<>();

    public Intake(Settings settings, CapabilityRegistry capabilities, Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer, RecordCodec codec, IntakeListener listener) {
        this.settings = settings;
        this.capabilities = capabilities;
        this.consumer = consumer;
        this.producer = producer;
        this.codec = codec;
        this.listener = listener;
        for (Capability c : capabilities.enabled()) {
            requestTopics.put(Topics.requests(settings.topicPrefix(), c), c);
            resultTopics.put(c, Topics.results(settings.topicPrefix(), c));
        }
        if (requestTopics.isEmpty()) {
            throw new IllegalArgumentException("the manifest enables no capability: nothing to consume");
        }
        this.deadLetterTopic = Topics.deadLetters(settings.topicPrefix());
        this.backpressure = new Backpressure(settings.highWater(), settings.lowWater());
        this.publishGate = new PublishGate(settings.publishLinger(), settings.publishMaxRecords());
        this.dependencyBackoff = new Backoff(settings.retryBackoff(), settings.retryBackoffMax());
        this.publishBackoff = new Backoff(settings.retryBackoff(), settings.retryBackoffMax());
        this.transaction = settings.exactlyOnce()
                ? new TransactionCycle(producer, settings.transactionInterval(), settings.transactionMaxRecords())
                : null;
    }

    /** The request topics this intake subscribes to. */
    public Set<String> requestTopics() {
        return Set.copyOf(requestTopics.keySet());
    }

    /** Starts a graceful shutdown. Safe from any thread; returns at once. */
    public void requestShutdown() {
        shutdownRequested = true;
        consumer.wakeup();
    }

    public boolean shutdownRequested() {
        return shutdownRequested;
    }

    /** Whether the consumer holds at least one partition (for readiness). */
    public boolean hasAssignment() {
        return assigned;
    }

    /** Set once {@link #run()} has finished its shutdown sequence. */
    public ShutdownReport shutdownReport() {
        return shutdownReport;
    }

    /** Whether the intake stopped because its transactional producer was fenced or failed beyond recovery. */
    public boolean stoppedOnFatalError() {
        return fatal != null;
    }

    @Override
    public void run() {
        try {
            if (transaction != null) {
                initTransactions();
            }
            consumer.subscribe(requestTopics.keySet(), new Rebalance());
            log.info("Intake started: worker={} topics={} high-water={} low-water={} guarantee={}",
                    settings.workerId(), requestTopics.keySet(), settings.highWater(), settings.lowWater(),
                    transaction == null ? "at_least_once" : "exactly_once");
            while (!shutdownRequested && fatal == null) {
                loopOnce();
            }
        } catch (WakeupException e) {
            if (!shutdownRequested) {
                throw e;
            }
        } finally {
            shutdownReport = shutdown();
        }
    }

    private void initTransactions() {
        try {
            transaction.init();
        } catch (KafkaException e) {
            stopOnFatal(e);
        }
    }

    private void loopOnce() {
        reconcilePause();
        Duration timeout = ledger.outstanding() > 0 || !toPublish.isEmpty() ? BUSY_POLL : settings.pollTimeout();
        ConsumerRecords<byte[], byte[]> records = consumer.poll(timeout);
        if (!records.isEmpty()) {
            dispatch(records);
        }
        handleEvents(0);
        if (publishGate.open(toPublish.size(), computing, System.nanoTime())) {
            publishPending();
        }
        maybeCommit(false);
    }

    // ---------------------------------------------------------------- dispatch

    private void dispatch(ConsumerRecords<byte[], byte[]> records) {
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (shutdownRequested || !dispatching) {
                    return;
                }
                if (unfinished() >= settings.highWater()) {
                    // One poll can return more records (up to max.poll.records) than the high-water mark leaves
                    // room for. Leave the rest of each partition to be fetched again after the resume, so the mark
                    // is a hard bound on the work in flight, and with it on what a drain has to finish.
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (!dispatchOne(r)) {
                    break;
                }
            }
        }
    }

    /** Returns false when the record was not taken and its partition was rewound to it. */
    private boolean dispatchOne(ConsumerRecord<byte[], byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        Capability capability = requestTopics.get(r.topic());
        listener.received(capability);
        byte[] value = r.value();
        if (value == null) {
            deadLetter(r, capability, "TombstoneRecord", "a request record must have a value; this one is a tombstone");
            return true;
        }
        if (value.length > settings.maxRequestBytes()) {
            deadLetter(r, capability, "RequestTooLarge", "request of " + value.length + " bytes exceeds "
                    + "intake.max-request-bytes (" + settings.maxRequestBytes() + ")");
            return true;
        }
        SpecificRecord request;
        try {
            request = codec.decode(r.topic(), r.headers(), value);
        } catch (RecordCodec.DependencyUnavailableException e) {
            rewind(tp, r.offset(), "schema registry unavailable while decoding " + tp + "@" + r.offset(), e);
            return false;
        } catch (SerializationException e) {
            deadLetter(r, capability, e.getClass().getName(), String.valueOf(e.getMessage()));
            return true;
        }
        CapabilityService service = capabilities.service(capability);
        RequestContext context = new RequestContext(settings.workerId(), r.timestamp());
        CompletableFuture<SpecificRecord> outcome;
        try {
            outcome = service.handle(request, context);
        } catch (PoolRejectedException e) {
            if (e.error() instanceof PoolError.ShuttingDown) {
                dispatching = false;
                consumer.seek(tp, r.offset());
                return false;
            }
            rewind(tp, r.offset(), "pool rejected " + tp + "@" + r.offset() + ": " + e.error(), null);
            return false;
        } catch (RuntimeException e) {
            log.error("Capability {} failed on request at {}@{}; answering with an INTERNAL error", capability, tp,
                    r.offset(), e);
            outcome = CompletableFuture.completedFuture(service.errorResult(request, ErrorCode.INTERNAL,
                    "internal error: " + e, true, context));
        }
        dependencyBackoff.succeeded();
        computing++;
        long epoch = register(tp, r.offset());
        InFlight inFlight = new InFlight(tp, r.offset(), epoch, capability, r.timestamp(), r.headers(), r.key());
        outcome.whenComplete((result, error) -> {
            SpecificRecord answer = error == null ? result
                    : service.errorResult(request, ErrorCode.INTERNAL, "internal error: " + error, true, context);
            events.add(new IntakeEvent.Computed(inFlight, answer));
        });
        return true;
    }

    private void rewind(TopicPartition tp, long offset, String why, Exception cause) {
        consumer.seek(tp, offset);
        long delay = dependencyBackoff.failed(System.currentTimeMillis());
        if (!dependencyDown) {
            dependencyDown = true;
            log.warn("Intake paused: {}; retrying in {} ms{}", why, delay,
                    cause == null ? "" : " (" + cause.getMessage() + ")");
        } else {
            log.debug("Still paused: {}; retrying in {} ms", why, delay);
        }
        reconcilePause();
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, Capability capability, String errorClass,
            String message) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        long epoch = register(tp, r.offset());
        InFlight inFlight = new InFlight(tp, r.offset(), epoch, capability, r.timestamp(), r.headers(), r.key());
        long now = System.currentTimeMillis();
        inFlight.deadLetter = true;
        inFlight.outTopic = deadLetterTopic;
        inFlight.outKey = r.key();
        inFlight.outValue = DeadLetter.newBuilder()
                .setSourceTopic(r.topic())
                .setSourcePartition(r.partition())
                .setSourceOffset(r.offset())
                .setSourceTimestamp(Instant.ofEpochMilli(Math.max(0, r.timestamp())))
                .setOriginalKey(r.key() == null ? null : java.nio.ByteBuffer.wrap(r.key()))
                .setOriginalValue(r.value() == null ? null : java.nio.ByteBuffer.wrap(r.value()))
                .setErrorClass(errorClass)
                .setErrorMessage(message)
                .setWorkerId(settings.workerId())
                .setDeadLetteredAt(Instant.ofEpochMilli(now))
                .build();
        log.debug("Dead-lettering {}@{}: {}: {}", tp, r.offset(), errorClass, message);
        readyToPublish(inFlight);
    }

    /** Registers a dispatched record in the ledger (and, exactly once, in the release order). */
    private long register(TopicPartition tp, long offset) {
        long epoch = ledger.register(tp, offset);
        if (transaction != null) {
            release.expect(tp, offset);
        }
        return epoch;
    }

    /** An outcome is known: at least once it may be published now; exactly once after its partition's earlier ones. */
    private void readyToPublish(InFlight r) {
        if (transaction == null) {
            toPublish.add(r);
        } else {
            release.ready(r, toPublish::add);
        }
        if (!toPublish.isEmpty()) {
            publishGate.ready(System.nanoTime());
        }
    }

    // ---------------------------------------------------------------- events and publishing

    /** Handles queued events; waits up to {@code waitMs} for the first one. Returns how many were handled. */
    private int handleEvents(long waitMs) {
        int handled = 0;
        try {
            IntakeEvent first = waitMs > 0 ? events.poll(waitMs, TimeUnit.MILLISECONDS) : events.poll();
            for (IntakeEvent e = first; e != null; e = events.poll()) {
                handle(e);
                handled++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return handled;
    }

    private void handle(IntakeEvent event) {
        InFlight r = event.record();
        if (event instanceof IntakeEvent.Computed) {
            computing--;
        }
        if (!ledger.current(r.partition, r.epoch)) {
            return;
        }
        if (event instanceof IntakeEvent.Computed c) {
            if (!acceptingOutcomes) {
                return;
            }
            r.outTopic = resultTopics.get(r.capability);
            r.outValue = c.result();
            Object requestId = c.result().get(c.result().getSchema().getField("requestId").pos());
            r.outKey = requestId == null ? null : requestId.toString().getBytes(StandardCharsets.UTF_8);
            readyToPublish(r);
        } else if (event instanceof IntakeEvent.Acknowledged) {
            if (ledger.markDone(r.partition, r.offset, r.epoch)) {
                listener.acknowledged(r.capability, r.deadLetter, r.outValue, r.recordTimestampMs);
            }
        } else if (event instanceof IntakeEvent.PublishFailed f) {
            long delay = publishBackoff.failed(System.currentTimeMillis());
            log.warn("Publishing the outcome of {} to {} failed ({}); retrying in {} ms", r, r.outTopic,
                    f.error().toString(), delay);
            toPublish.add(r);
            publishGate.ready(System.nanoTime());
        }
    }

    /** Sends what waits to be published, unless a publish failure's backoff is running. */
    private void publishPending() {
        try {
            sendWaiting();
        } finally {
            if (toPublish.isEmpty()) {
                publishGate.published();
            }
        }
    }

    private void sendWaiting() {
        if (toPublish.isEmpty() || !publishBackoff.ready(System.currentTimeMillis())) {
            return;
        }
        while (!toPublish.isEmpty() && fatal == null) {
            InFlight r = toPublish.peek();
            if (!ledger.current(r.partition, r.epoch)) {
                toPublish.poll();
                continue;
            }
            if (transaction != null && transaction.full() && !commitTransaction()) {
                return;
            }
            ProducerRecord<byte[], byte[]> out = outgoing(r);
            if (out == null) {
                return;
            }
            toPublish.poll();
            if (transaction != null) {
                if (!sendInTransaction(out, r)) {
                    return;
                }
                continue;
            }
            try {
                producer.send(out, (metadata, error) -> events.add(error == null
                        ? new IntakeEvent.Acknowledged(r) : new IntakeEvent.PublishFailed(r, error)));
            } catch (KafkaException e) {
                events.add(new IntakeEvent.PublishFailed(r, e));
                return;
            }
            publishBackoff.succeeded();
        }
    }

    /** The record to publish for {@code r}, or null (after a backoff was set) when it cannot be encoded now. */
    private ProducerRecord<byte[], byte[]> outgoing(InFlight r) {
        Headers headers = outgoingHeaders(r);
        byte[] value;
        try {
            value = encodeOutcome(r, headers);
        } catch (RecordCodec.DependencyUnavailableException e) {
            long delay = publishBackoff.failed(System.currentTimeMillis());
            log.warn("Cannot encode the outcome of {}: schema registry unavailable ({}); retrying in {} ms", r,
                    e.getMessage(), delay);
            return null;
        } catch (SerializationException e) {
            long delay = publishBackoff.failed(System.currentTimeMillis());
            log.error("The schema registry refused the schema of {}'s outcome on {}: {}; its offset stays "
                    + "uncommitted; retrying in {} ms", r, r.outTopic, e.getMessage(), delay);
            return null;
        }
        return new ProducerRecord<>(r.outTopic, null, r.outKey, value, headers);
    }

    /**
     * Exactly once: sends an outcome in the open transaction and marks its offset done (it commits with the
     * transaction or not at all). Returns false when the send failed and the transaction was aborted.
     */
    private boolean sendInTransaction(ProducerRecord<byte[], byte[]> out, InFlight r) {
        try {
            transaction.send(out, r);
        } catch (KafkaException e) {
            toPublish.addFirst(r);
            settle(transaction.abort(e));
            return false;
        }
        ledger.markDone(r.partition, r.offset, r.epoch);
        publishBackoff.succeeded();
        return true;
    }

    /**
     * Exactly once: commits the open transaction with the done prefix of every partition. Returns whether it
     * committed (true too when there was nothing to commit).
     */
    private boolean commitTransaction() {
        if (fatal != null) {
            return false;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = ledger.pendingCommits();
        if (!transaction.open() && offsets.isEmpty()) {
            return true;
        }
        TransactionCycle.Outcome outcome = transaction.commit(offsets, consumer.groupMetadata());
        if (outcome instanceof TransactionCycle.Committed c) {
            ledger.markCommitted(offsets);
            for (InFlight r : c.records()) {
                listener.acknowledged(r.capability, r.deadLetter, r.outValue, r.recordTimestampMs);
            }
            listener.committed(offsets, c.took());
            return true;
        }
        settle(outcome);
        return false;
    }

    /**
     * Exactly once: after an abort, the transaction's outcomes go back to the front of the queue, in their order
     * (their offsets outstanding again), to be sent in the next transaction; after a fatal failure the intake stops.
     */
    private void settle(TransactionCycle.Outcome outcome) {
        if (outcome instanceof TransactionCycle.Fatal f) {
            lostInFatalTransaction = f.records().size();
            stopOnFatal(f.cause());
            return;
        }
        if (outcome instanceof TransactionCycle.Aborted a) {
            List<InFlight> sent = a.records();
            for (int i = sent.size() - 1; i >= 0; i--) {
                InFlight r = sent.get(i);
                if (ledger.reopen(r.partition, r.offset, r.epoch)) {
                    toPublish.addFirst(r);
                }
            }
            long delay = publishBackoff.failed(System.currentTimeMillis());
            log.warn("Transaction of {} outcomes aborted ({}); sending them again in the next one in {} ms",
                    sent.size(), a.cause().toString(), delay);
        }
    }

    private void stopOnFatal(RuntimeException e) {
        if (fatal != null) {
            return;
        }
        fatal = e;
        if (TransactionCycle.isFenced(e)) {
            log.error("Producer fenced: another worker instance with this transactional id or group instance id has "
                    + "started ({}); stopping without committing: the open transaction is aborted and its records "
                    + "go to the new owner", e.toString());
        } else {
            log.error("Transactional producer failed beyond recovery ({}); stopping without committing: the open "
                    + "transaction is aborted by the broker and its records are processed again",
                    TransactionCycle.describe(e));
        }
    }

    private byte[] encodeOutcome(InFlight r, Headers headers) {
        if (!r.deadLetter) {
            Object timings = r.outValue.get(r.outValue.getSchema().getField("timings").pos());
            if (timings instanceof SpecificRecord t && r.recordTimestampMs >= 0) {
                t.put(t.getSchema().getField("endToEndMs").pos(),
                        Math.max(0L, System.currentTimeMillis() - r.recordTimestampMs));
            }
        }
        return codec.encode(r.outTopic, headers, r.outValue);
    }

    private Headers outgoingHeaders(InFlight r) {
        RecordHeaders headers = new RecordHeaders();
        for (Header h : r.headers) {
            if (!h.key().startsWith("modelpool.error.")) {
                headers.add(h.key(), h.value());
            }
        }
        headers.add(HEADER_WORKER, settings.workerId().getBytes(StandardCharsets.UTF_8));
        if (r.deadLetter && r.outValue instanceof DeadLetter dl) {
            headers.add(HEADER_ERROR_CLASS, dl.getErrorClass().getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_ERROR_MESSAGE, dl.getErrorMessage().getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_SOURCE_TOPIC, r.partition.topic().getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_SOURCE_PARTITION,
                    Integer.toString(r.partition.partition()).getBytes(StandardCharsets.UTF_8));
            headers.add(HEADER_SOURCE_OFFSET, Long.toString(r.offset).getBytes(StandardCharsets.UTF_8));
        }
        return headers;
    }

    // ---------------------------------------------------------------- commits and pausing

    private void maybeCommit(boolean force) {
        long now = System.currentTimeMillis();
        if (transaction != null) {
            // Commit when the transaction is old or full enough, and at once when nothing else is in flight: at
            // light load a result then waits for one commit round trip, not for transaction.interval-ms.
            boolean idle = transaction.open() && ledger.outstanding() == 0 && toPublish.isEmpty();
            if (force || idle || transaction.due(now)) {
                commitTransaction();
            }
            return;
        }
        if (!force && now - lastCommitMs < settings.commitInterval().toMillis()) {
            return;
        }
        lastCommitMs = now;
        Map<TopicPartition, OffsetAndMetadata> offsets = ledger.pendingCommits();
        if (offsets.isEmpty()) {
            return;
        }
        ledger.markCommitted(offsets);
        long commitStart = System.nanoTime();
        consumer.commitAsync(offsets, (committed, error) -> {
            if (error != null) {
                log.warn("Offset commit of {} failed: {}; the next commit carries these positions again",
                        committed == null ? offsets.keySet() : committed.keySet(), error.toString());
                ledger.forgetCommitted(offsets.keySet());
            } else {
                listener.committed(offsets, Duration.ofNanos(System.nanoTime() - commitStart));
            }
        });
    }

    private boolean commitSync(Predicate<TopicPartition> which) {
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>(ledger.pendingCommits());
        offsets.keySet().removeIf(which.negate());
        if (offsets.isEmpty()) {
            return true;
        }
        try {
            long commitStart = System.nanoTime();
            consumer.commitSync(offsets, settings.closeTimeout());
            ledger.markCommitted(offsets);
            listener.committed(offsets, Duration.ofNanos(System.nanoTime() - commitStart));
            return true;
        } catch (WakeupException e) {
            return commitSyncAfterWakeup(offsets);
        } catch (KafkaException e) {
            log.warn("Committing {} failed: {}; uncommitted records will be processed again by the next owner",
                    offsets, e.toString());
            return false;
        }
    }

    /** A wakeup meant for the loop can hit a commit; the commit itself is still wanted, so retry it once. */
    private boolean commitSyncAfterWakeup(Map<TopicPartition, OffsetAndMetadata> offsets) {
        try {
            long commitStart = System.nanoTime();
            consumer.commitSync(offsets, settings.closeTimeout());
            ledger.markCommitted(offsets);
            listener.committed(offsets, Duration.ofNanos(System.nanoTime() - commitStart));
            return true;
        } catch (KafkaException e) {
            log.warn("Committing {} failed: {}", offsets, e.toString());
            return false;
        }
    }

    /**
     * Pauses every assigned partition while backpressure, a dependency backoff or shutdown says so, and resumes them
     * when none does. The consumer keeps polling while paused, so the group never sees the worker as stuck.
     */
    private void reconcilePause() {
        long now = System.currentTimeMillis();
        if (dependencyDown && dependencyBackoff.ready(now)) {
            dependencyDown = false;
            log.info("Intake retrying after dependency backoff ({} failures)", dependencyBackoff.failures());
        }
        Backpressure.Action action = backpressure.observe(ledger.outstanding() + toPublish.size());
        if (action == Backpressure.Action.PAUSE) {
            listener.paused();
            log.debug("Backpressure: pausing intake at {} unfinished records", ledger.outstanding());
        } else if (action == Backpressure.Action.RESUME) {
            listener.resumed();
            log.debug("Backpressure: resuming intake at {} unfinished records", ledger.outstanding());
        }
        boolean pause = shutdownRequested || !dispatching || backpressure.paused() || dependencyDown;
        Set<TopicPartition> assignment = consumer.assignment();
        if (pause) {
            Set<TopicPartition> toPause = new HashSet<>(assignment);
            toPause.removeAll(pausedByUs);
            if (!toPause.isEmpty()) {
                consumer.pause(toPause);
                pausedByUs.addAll(toPause);
            }
        } else if (!pausedByUs.isEmpty()) {
            Set<TopicPartition> toResume = new HashSet<>(pausedByUs);
            toResume.retainAll(assignment);
            consumer.resume(toResume);
            pausedByUs.clear();
        }
        pausedByUs.retainAll(assignment);
    }

    // ---------------------------------------------------------------- drain, shutdown

    /**
     * Lets outstanding work of the partitions {@code which} accepts finish and be acknowledged, for at most
     * {@code budget}. Returns how many records were finished meanwhile.
     */
    private int drain(Predicate<TopicPartition> which, Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos();
        int before = outstanding(which);
        while (outstanding(which) > 0) {
            long leftMs = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (leftMs <= 0) {
                break;
            }
            publishPending();
            handleEvents(Math.min(leftMs, 20));
        }
        publishPending();
        return before - outstanding(which);
    }

    private int outstanding(Predicate<TopicPartition> which) {
        int n = 0;
        for (TopicPartition tp : consumer.assignment()) {
            if (which.test(tp)) {
                n += ledger.outstanding(tp);
            }
        }
        return n;
    }

    private ShutdownReport shutdown() {
        long start = System.nanoTime();
        if (fatal != null) {
            return stopWithoutCommitting(start);
        }
        capabilities.beginShutdown();
        dispatching = false;
        try {
            reconcilePause();
        } catch (KafkaException e) {
            log.warn("Pausing partitions at shutdown failed: {}", e.toString());
        }
        int outstandingAtStart = ledger.outstanding();
        log.info("Shutdown: draining {} in-flight requests for up to {} ms", outstandingAtStart,
                settings.drainTimeout().toMillis());
        drain(tp -> true, settings.drainTimeout());
        int abandoned = 0;
        if (ledger.outstanding() > 0) {
            // Work still running is abandoned: its outcome will not be published, and its offset stays behind the
            // commit position, so the next owner of the partition processes it again.
            acceptingOutcomes = false;
            int dropped = capabilities.abandon();
            // Outcomes already sent are not abandoned: once acknowledged they are done and committed below. Count
            // what is left only after that, so the count matches what the next owner will process again. Exactly
            // once, sent outcomes are done already and commit with the final transaction.
            if (transaction == null) {
                awaitPublishedAcks(settings.closeTimeout());
            }
            abandoned = ledger.outstanding();
            if (abandoned > 0) {
                log.warn("Drain timed out after {} ms: {} requests abandoned ({} pool tasks dropped); they are not "
                        + "committed and will be processed by another worker", settings.drainTimeout().toMillis(),
                        abandoned, dropped);
            }
        }
        int drained = outstandingAtStart - abandoned;
        boolean committed = transaction == null ? commitSync(tp -> true) : commitTransaction();
        if (fatal != null) {
            return stopWithoutCommitting(start);
        }
        closeClients();
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        ShutdownReport report = new ShutdownReport(elapsed, drained, abandoned, committed);
        listener.shutdown(report);
        return report;
    }

    /**
     * Exactly once, after the producer was fenced or failed fatally: abandon everything, commit nothing (the
     * transaction left open is aborted by the broker), close the clients.
     */
    private ShutdownReport stopWithoutCommitting(long start) {
        capabilities.beginShutdown();
        dispatching = false;
        acceptingOutcomes = false;
        int dropped = capabilities.abandon();
        int abandoned = ledger.outstanding() + lostInFatalTransaction;
        log.warn("Stopping after a fatal producer error: {} requests not committed ({} pool tasks dropped); the next "
                + "owner of their partitions processes them", abandoned, dropped);
        closeClients();
        ShutdownReport report = new ShutdownReport(Duration.ofNanos(System.nanoTime() - start), 0, abandoned, false,
                true);
        listener.shutdown(report);
        return report;
    }

    /** After a timed-out drain: outcomes already sent may still be acknowledged within the close budget. */
    private void awaitPublishedAcks(Duration budget) {
        long deadline = System.nanoTime() + budget.toNanos() / 2;
        try {
            producer.flush();
        } catch (KafkaException e) {
            log.warn("Flushing results at shutdown failed: {}", e.toString());
        }
        while (System.nanoTime() < deadline && handleEvents(10) > 0) {
            // keep taking acknowledgements until none arrive
        }
    }

    private void closeClients() {
        CloseOptions options = CloseOptions.groupMembershipOperation(settings.leaveGroupOnClose()
                ? CloseOptions.GroupMembershipOperation.LEAVE_GROUP
                : CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(settings.closeTimeout());
        try {
            consumer.close(options);
        } catch (KafkaException e) {
            log.warn("Closing the consumer failed: {}", e.toString());
        }
        try {
            producer.close(settings.closeTimeout());
        } catch (KafkaException e) {
            log.warn("Closing the producer failed: {}", e.toString());
        }
    }

    // ---------------------------------------------------------------- rebalance

    private final class Rebalance implements ConsumerRebalanceListener {

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            assigned = !consumer.assignment().isEmpty();
            if (!partitions.isEmpty()) {
                log.info("Partitions assigned: {}", partitions);
            }
        }

        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                return;
            }
            Set<TopicPartition> revoked = new HashSet<>(partitions);
            if (fatal != null) {
                forget(revoked);
                return;
            }
            int outstanding = outstanding(revoked::contains);
            int drained = drain(revoked::contains, shutdownRequested ? Duration.ZERO : settings.drainTimeout());
            int abandoned = outstanding(revoked::contains);
            if (transaction == null) {
                commitSync(revoked::contains);
            } else {
                // One transaction spans every partition: commit all that is done, so the revoked partitions' finished
                // outcomes and offsets become visible together before their next owner starts.
                commitTransaction();
            }
            forget(revoked);
            assigned = consumer.assignment().size() > revoked.size();
            if (abandoned > 0) {
                log.warn("Partitions revoked: {}; {} of {} in-flight requests finished, {} abandoned to the next "
                        + "owner", revoked, drained, outstanding, abandoned);
            } else {
                log.info("Partitions revoked: {}; {} in-flight requests finished and committed", revoked, drained);
            }
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            forget(partitions);
            if (transaction != null && transaction.open() && fatal == null) {
                // The open transaction may hold outcomes of the lost partitions, whose offsets this member can no
                // longer commit. Abort it; outcomes of partitions still held are sent again in the next one.
                settle(transaction.abort(new KafkaException("partitions lost: " + partitions)));
            }
            assigned = false;
            log.warn("Partitions lost (not committed; the next owner processes their records again): {}",
                    partitions);
        }
    }

    private void forget(Collection<TopicPartition> gone) {
        ledger.forget(gone);
        release.forget(gone);
        pausedByUs.removeAll(gone);
        toPublish.removeIf(r -> gone.contains(r.partition));
    }

    /** For tests and metrics: unfinished records. */
    public int unfinished() {
        return ledger.outstanding() + toPublish.size();
    }
}
