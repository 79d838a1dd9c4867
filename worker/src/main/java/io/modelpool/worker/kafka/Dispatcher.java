package io.modelpool.worker.kafka;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.AbandonedAtShutdownException;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.CapabilityServices;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestFields;
import io.modelpool.worker.capability.RequestPriorities;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Queue;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.IntSupplier;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.SerializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes polled records one by one: decodes each, dead-letters what cannot be a request, hands requests to their
 * capability and registers each taken record with the tracker and the delivery.
 *
 * <p>A record is not taken, and its partition is rewound to it, when {@link Admission} says the work in flight is
 * at its bound (records of interactive topics have an {@link InteractiveReserve} beyond it, bulk requests none), when
 * it is bulk work and {@link BulkGate} keeps the rest of the budget for interactive work, when the pool is shutting
 * down, or when a dependency is away (the schema registry cannot be reached,
 * the model's queue is full): then intake pauses with backoff ({@link #dependencyDown}), so a good record is never
 * dead-lettered because a dependency was briefly down.
 *
 * <p>A record whose writer schema the codec must first look up ({@link RecordCodec#prepare}) is <em>parked</em>: it
 * is registered with the tracker at once (so no commit passes it) and the records after it go on: those of other
 * partitions directly, those of its own partition parked behind it, each taken as soon as its own lookup has
 * answered (so a slow lookup holds up nothing); the lookup runs on the codec's threads. Parked records do not count against the bounds on
 * work in flight ({@link #parked()}, {@link #partitionWaits}: they hold no work) but against their own, in records
 * and bytes ({@value #MAX_PARKED_RECORDS} records, {@value #MAX_PARKED_BYTES} bytes of values): at the bound every
 * partition waits, paused, until half of them have been taken.
 * Every call to {@link #dispatch} first takes the parked records whose lookup has answered, in the order they were
 * parked and under the bounds of their topic (a lookup's completion queues its record for the intake thread, so a turn
 * looks only at those, never at a whole parked flood): decoded, dead-lettered or handed to their capability as if they had just
 * been polled. While such a record waits for admission its partition takes no later record, so at a shutdown no
 * answered record lies past one left untaken (the next owner would answer it again). A parked record whose
 * lookup failed (registry unreachable) is looked up again after the dependency backoff; one the pool refuses waits in
 * the same way. Parked records of a revoked partition are dropped (not committed: the partition's next owner reads
 * them again); at shutdown they are abandoned with the rest of the unfinished work.
 *
 * <p>Not thread-safe: the intake thread's. Completions come back on pool threads as events.
 */
final class Dispatcher {

    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);

    /** Where a taken record goes next. */
    interface Sink {
        /** Registers a consumed record with the tracker and the delivery. */
        InFlight register(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, Capability capability);

        /** A record dead-lettered at dispatch: its outcome is known at once. */
        void deadLettered(InFlight r);
    }

    private final String workerId;
    private final int maxRequestBytes;
    private final CapabilityServices capabilities;
    private final Consumer<byte[], byte[]> consumer;
    private final RecordCodec codec;
    private final Map<String, Capability> requestTopics;
    private final Map<Capability, String> resultTopics;
    private final InFlightTracker tracker;
    private final Admission admission;
    private final DeadLetters deadLetters;
    private final IntakeListener listener;
    private final Queue<IntakeEvent> events;
    private final Backoff backoff;
    private final Clock clock;
    private final Sink sink;
    private final JobGate jobs;
    private final BulkGate bulkGate;
    /** This turn: the bulk lane is below its minimum share and has records waiting ({@link #waiting}). */
    private boolean bulkStarving;

    private boolean dispatching = true;
    private boolean dependencyDown;
    /**
     * Most records parked at once: where the byte bound meets records with no value, so bytes bound parking (a flood
     * of small records with distinct unknown ids is parked whole while the good records after it go on).
     */
    static final int MAX_PARKED_RECORDS = 65_536;
    /** Most bytes of parked records at once: their values plus {@value #PARKED_OVERHEAD_BYTES} each. */
    static final long MAX_PARKED_BYTES = 64L * 1024 * 1024;
    /** What a parked record costs beyond its value (record, registration, lookup, cache entry), with margin. */
    static final int PARKED_OVERHEAD_BYTES = 1_024;

    /** Registered records waiting for their writer schema's lookup, by the order they were parked in. */
    private final Map<Long, Parked> parked = new HashMap<>();
    /**
     * Parked records whose lookup has answered, in the order they were parked: the only ones a turn looks at, so a
     * turn costs what is ready, not what is parked. Filled from {@link #answered}.
     */
    private final TreeMap<Long, Parked> ready = new TreeMap<>();
    /** Parked records whose lookup failed, in the order they were parked: looked up again after the backoff. */
    private final TreeMap<Long, Parked> retrying = new TreeMap<>();
    /**
     * Parked records by the lookup they wait for (the intake thread's). Records that need the same schema id share
     * one lookup, and all of them move to {@link #ready} in the same turn: one callback per lookup, never one per
     * record, whose callbacks the JDK would run one by one in reverse order (a later record of a partition would then
     * be taken before an earlier one, and a handoff would answer it twice).
     */
    private final Map<CompletableFuture<Void>, List<Parked>> awaiting = new HashMap<>();
    /** Lookups that have just answered, queued by the lookup's thread for the intake thread. */
    private final Queue<CompletableFuture<Void>> answered = new ConcurrentLinkedQueue<>();

    private long parkedSequence;

    private final Map<TopicPartition, Integer> parkedPerPartition = new HashMap<>();
    private long parkedBytes;
    /**
     * Partitions with a parked record whose lookup has answered but that admission has not taken yet: their polled
     * records wait behind it, as they would behind a polled record refused there. Filled by each resume.
     */
    private final Set<TopicPartition> readyBehind = new HashSet<>();
    /** At the parking bound: no record that needs a lookup is taken until half the parked ones have been. */
    private boolean parkingFull;

    /** A record registered with the tracker and not yet taken, because its writer schema is being looked up. */
    private static final class Parked {
        final long sequence;
        final ConsumerRecord<byte[], byte[]> record;
        final InFlight inFlight;
        CompletableFuture<Void> lookup;
        /** Dropped with its partition: a lookup that answers later finds nothing to do. */
        boolean dropped;

        Parked(long sequence, ConsumerRecord<byte[], byte[]> record, InFlight inFlight) {
            this.sequence = sequence;
            this.record = record;
            this.inFlight = inFlight;
        }
    }

    Dispatcher(
            String workerId,
            int maxRequestBytes,
            CapabilityServices capabilities,
            Consumer<byte[], byte[]> consumer,
            RecordCodec codec,
            Map<String, Capability> requestTopics,
            Map<Capability, String> resultTopics,
            InFlightTracker tracker,
            Admission admission,
            DeadLetters deadLetters,
            IntakeListener listener,
            Queue<IntakeEvent> events,
            Backoff backoff,
            Clock clock,
            JobGate jobs,
            Sink sink) {
        this.jobs = jobs;
        this.workerId = workerId;
        this.maxRequestBytes = maxRequestBytes;
        this.capabilities = capabilities;
        this.consumer = consumer;
        this.codec = codec;
        this.requestTopics = requestTopics;
        this.resultTopics = resultTopics;
        this.tracker = tracker;
        this.admission = admission;
        this.deadLetters = deadLetters;
        this.listener = listener;
        this.events = events;
        this.backoff = backoff;
        this.clock = clock;
        this.sink = sink;
        this.bulkGate = new BulkGate(
                capabilities::estimatedSecondsInFlight,
                admission.budgetSeconds(),
                clock::millis,
                this::bulkInFlight,
                admission.minBulkInFlight());
    }

    /**
     * Which partitions must wait (be paused) this turn, while {@code unfinished} records are in flight: those at
     * their own share of the bounds ({@link #partitionWaits}) or held by the {@link BulkGate}; the bulk lane (the
     * {@code .bulk} request topics) while admission is at its bounds or interactive records wait in Kafka, unless it is
     * below its minimum share ({@link BulkGate#belowMinimum}); the other partitions only once the
     * {@link InteractiveReserve} is full too. Call once per turn, after
     * {@link Admission#observe}.
     */
    Predicate<TopicPartition> waiting(int assigned, int unfinished) {
        boolean atBounds = admission.paused();
        boolean reserveFull = atBounds && !admission.interactiveRoom(unfinished);
        boolean laneHeld = bulkGate.holdsBulkLane(waiting(false));
        boolean bulkBelowMinimum = bulkGate.belowMinimum();
        // Bulk work below its minimum with records waiting: the reserve is left to it, interactive work keeps the
        // bounds, so a steady interactive stream cannot take every slot that frees.
        bulkStarving = bulkBelowMinimum && waiting(true);
        return tp -> partitionWaits(tp, assigned)
                || (!Topics.isBulkRequests(tp.topic())
                        ? bulkGate.holds(tp)
                                || bulkGate.holdsAtBound(tp, atBounds)
                                || (bulkStarving ? atBounds : reserveFull)
                        : bulkBelowMinimum
                                ? reserveFull
                                : atBounds || laneHeld || bulkGate.holds(tp) || bulkGate.holdsAtBound(tp, atBounds));
    }

    /** Whether an assigned partition of the bulk lane ({@code bulk}) or the interactive one has records untaken. */
    private boolean waiting(boolean bulk) {
        for (TopicPartition tp : consumer.assignment()) {
            if (Topics.isBulkRequests(tp.topic()) == bulk) {
                OptionalLong lag = consumer.currentLag(tp);
                if (lag.isPresent() && lag.getAsLong() > 0) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Records of the bulk lane (the assigned {@code .bulk} request partitions) in flight, parked ones aside. */
    private int bulkInFlight() {
        int n = 0;
        for (TopicPartition tp : consumer.assignment()) {
            if (Topics.isBulkRequests(tp.topic())) {
                n += unparked(tp);
            }
        }
        return n;
    }

    /**
     * Forgets the holds and the parked records of revoked or lost partitions (not committed: the partitions' next
     * owners read them again).
     */
    void forget(Collection<TopicPartition> gone) {
        bulkGate.forget(gone);
        if (parked.isEmpty() || gone.stream().noneMatch(parkedPerPartition::containsKey)) {
            return;
        }
        List<Parked> dropped = parked.values().stream()
                .filter(p -> gone.contains(p.inFlight.partition))
                .toList();
        dropped.forEach(this::drop);
    }

    /** Whether records may be dispatched at all (false once the pool said it is shutting down, or at shutdown). */
    boolean dispatching() {
        return dispatching;
    }

    void stop() {
        dispatching = false;
    }

    /** Whether a dependency failure's backoff is running; ends it once the backoff has passed. */
    boolean dependencyDown() {
        if (dependencyDown && backoff.ready(clock.millis())) {
            dependencyDown = false;
            log.info("Intake retrying after dependency backoff ({} failures)", backoff.failures());
        }
        return dependencyDown;
    }

    /** Records parked while their writer schema is looked up (registered with the tracker, holding no work). */
    int parked() {
        return parked.size();
    }

    /**
     * Whether {@code tp} must wait (be paused) while {@code assigned} partitions share the bounds: its records in
     * flight, parked ones aside, are at its share of the record bound ({@link Admission#partitionFull}), or parking
     * is at its bound.
     */
    boolean partitionWaits(TopicPartition tp, int assigned) {
        return admission.partitionFull(unparked(tp), assigned) || parkingFull;
    }

    /** Records of {@code tp} in flight, parked ones aside (a revoked partition's are dropped on the next turn). */
    private int unparked(TopicPartition tp) {
        return Math.max(0, tracker.outstanding(tp) - parkedPerPartition.getOrDefault(tp, 0));
    }

    private void park(
            ConsumerRecord<byte[], byte[]> r,
            TopicPartition tp,
            Capability capability,
            CompletableFuture<Void> lookup) {
        Parked p = new Parked(parkedSequence++, r, sink.register(r, tp, capability));
        parked.put(p.sequence, p);
        parkedPerPartition.merge(tp, 1, Integer::sum);
        parkedBytes += cost(r);
        tracker.awaitingLookup(1);
        if (parked.size() >= MAX_PARKED_RECORDS || parkedBytes >= MAX_PARKED_BYTES) {
            parkingFull = true;
        }
        await(p, lookup);
    }

    /** Waits for {@code lookup} on the lookup's own thread: when it answers, it joins {@link #answered}. */
    private void await(Parked p, CompletableFuture<Void> lookup) {
        p.lookup = lookup;
        awaiting.computeIfAbsent(lookup, f -> {
                    f.whenComplete((found, failure) -> answered.add(f));
                    return new ArrayList<>();
                })
                .add(p);
    }

    /** A parked record leaves: taken, or dropped with its partition. */
    private void unpark(Parked p) {
        parked.remove(p.sequence);
        ready.remove(p.sequence);
        retrying.remove(p.sequence);
        parkedPerPartition.merge(p.inFlight.partition, -1, (a, b) -> a + b == 0 ? null : a + b);
        parkedBytes -= cost(p.record);
        tracker.awaitingLookup(-1);
        if (parkingFull && parked.size() <= MAX_PARKED_RECORDS / 2 && parkedBytes <= MAX_PARKED_BYTES / 2) {
            parkingFull = false;
        }
    }

    private void drop(Parked p) {
        p.dropped = true;
        unpark(p);
    }

    private static long cost(ConsumerRecord<byte[], byte[]> r) {
        return (long) r.serializedValueSize() + Math.max(0, r.serializedKeySize()) + PARKED_OVERHEAD_BYTES;
    }

    /**
     * Takes the parked records whose lookup has answered, then the polled records until one is refused;
     * {@code unfinished} counts the work in flight. Called on every turn of the loop, with or without records.
     */
    void dispatch(ConsumerRecords<byte[], byte[]> records, IntSupplier unfinished) {
        resumeParked(unfinished);
        if (records.isEmpty()) {
            return;
        }
        int assigned = consumer.assignment().size();
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (!dispatching || dependencyDown) {
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (admission.partitionFull(unparked(tp), assigned)) {
                    consumer.seek(tp, r.offset()); // this partition waits alone; the others go on
                    break;
                }
                if (readyBehind.contains(tp)) {
                    // A parked record of this partition is ready and waits for admission: it goes first, so an
                    // answered record never passes it (a handoff would answer that one again)
                    consumer.seek(tp, r.offset());
                    break;
                }
                int before = unfinished.getAsInt();
                if (!laneAdmits(tp, before)) {
                    // Leave the rest of the partition to be fetched again after the resume, so the bound is hard.
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (!dispatchOne(r, tp, before)) {
                    break;
                }
            }
        }
    }

    /**
     * Whether a record of {@code tp} may be taken while {@code unfinished} are in flight: interactive topics have the
     * {@link InteractiveReserve} beyond the bounds (unless the bulk lane is starving), the bulk lane has it only while
     * below its minimum share. Polled and parked records are taken under the same bounds.
     */
    private boolean laneAdmits(TopicPartition tp, int unfinished) {
        return Topics.isBulkRequests(tp.topic())
                ? bulkGate.belowMinimum() ? admission.admitsInteractive(unfinished) : admission.admits(unfinished)
                : bulkStarving ? admission.admits(unfinished) : admission.admitsInteractive(unfinished);
    }

    /**
     * Returns false when the record was not taken and its partition was rewound to it; {@code unfinished} is the
     * work in flight before it.
     */
    private boolean dispatchOne(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, int unfinished) {
        Capability capability = requestTopics.get(r.topic());
        byte[] value = r.value();
        CompletableFuture<Void> lookup =
                value == null || value.length > maxRequestBytes ? null : codec.prepare(r.topic(), value);
        // A record of a partition with parked records queues behind them even when its own schema is known: those
        // whose lookup has answered since this turn's resume go first, as they would have at the resume
        boolean parks = lookup != null && (!lookup.isDone() || parkedPerPartition.containsKey(tp));
        if (parks && parkingFull) {
            consumer.seek(tp, r.offset()); // parking is at its bound: the partition waits for its lookup to be taken
            return false;
        }
        if (!parks) {
            listener.received(capability); // a parked record is received when it is taken
        }
        if (value == null) {
            deadLetter(
                    r,
                    tp,
                    capability,
                    null,
                    "TombstoneRecord",
                    "a request record must have a value; this one is a tombstone");
            return true;
        }
        if (value.length > maxRequestBytes) {
            deadLetter(
                    r,
                    tp,
                    capability,
                    null,
                    "RequestTooLarge",
                    "request of " + value.length + " bytes exceeds " + "intake.max-request-bytes (" + maxRequestBytes
                            + ")");
            return true;
        }
        if (parks) {
            park(r, tp, capability, lookup); // bounded by the parking bound; taken later under admission
            return true;
        }
        return take(r, tp, capability, null, unfinished) != Taken.WAIT;
    }

    /** What became of a record {@link #take} was given. */
    private enum Taken {
        TAKEN,
        WAIT
    }

    /**
     * Decodes a record whose schema lookup has answered and dead-letters it or hands it to its capability.
     * {@code parkedAs} is the parked record's registration, or null for a record just polled, which is registered
     * here once taken. A polled record that must wait is rewound to; a parked one stays parked.
     */
    private Taken take(
            ConsumerRecord<byte[], byte[]> r,
            TopicPartition tp,
            Capability capability,
            InFlight parkedAs,
            int unfinished) {
        SpecificRecord request;
        try {
            request = codec.decode(r.topic(), r.headers(), r.value());
        } catch (RecordCodec.DependencyUnavailableException e) {
            dependencyFailed(
                    tp,
                    parkedAs == null ? r.offset() : -1,
                    "schema registry unavailable while decoding " + tp + "@" + r.offset(),
                    e);
            return Taken.WAIT;
        } catch (SerializationException e) {
            deadLetter(r, tp, capability, parkedAs, e.getClass().getName(), String.valueOf(e.getMessage()));
            return Taken.TAKEN;
        }
        CapabilityService service = capabilities.service(capability);
        RequestFields fields = service.requestFields(request);
        if (RequestPriorities.poolClass(fields) == RequestPriorities.BULK
                && !(Topics.isBulkRequests(tp.topic()) && bulkGate.belowMinimum())) {
            if (parkedAs == null && !admission.admits(unfinished)) {
                consumer.seek(tp, r.offset()); // bulk work gets no share of the interactive reserve
                bulkGate.holdAtBound(tp);
                return Taken.WAIT;
            }
            if (parkedAs == null && !bulkGate.admitsBulk(tp, unfinished)) {
                consumer.seek(tp, r.offset()); // held: interactive records keep room in the budget
                return Taken.WAIT;
            }
        } else {
            bulkGate.taken(tp);
        }
        RequestContext context = new RequestContext(workerId, r.timestamp());
        CompletableFuture<Outcome> outcome;
        try {
            outcome = WithdrawnRequests.handle(jobs, service, request, fields.jobId(), context);
        } catch (PoolRejectedException e) {
            if (parkedAs == null) {
                consumer.seek(tp, r.offset());
            }
            if (e.error() instanceof PoolError.ShuttingDown) {
                dispatching = false;
            } else {
                dependencyFailed(
                        tp,
                        parkedAs == null ? r.offset() : -1,
                        "pool rejected " + tp + "@" + r.offset() + ": " + e.error(),
                        null);
            }
            return Taken.WAIT;
        } catch (RuntimeException e) {
            log.error(
                    "Capability {} failed on request at {}@{}; answering with an INTERNAL error",
                    capability,
                    tp,
                    r.offset(),
                    e);
            outcome = CompletableFuture.completedFuture(
                    service.errorResult(request, ErrorCode.INTERNAL, "internal error: " + e, true, context));
        }
        backoff.succeeded();
        InFlight inFlight = parkedAs != null ? parkedAs : sink.register(r, tp, capability);
        inFlight.resultTopic = resultTopics.get(capability);
        inFlight.interactive = RequestPriorities.poolClass(fields) == RequestPriorities.INTERACTIVE;
        inFlight.errorResults = (code, message) -> service.errorResult(request, code, message, false, context);
        tracker.computing(inFlight);
        if (unfinished == 0) {
            admission.dispatchedAlone(capability, fields.model() == null ? "?" : fields.model());
        }
        outcome.whenComplete((result, error) -> events.add(
                cutAtShutdown(error)
                        ? new IntakeEvent.Abandoned(inFlight)
                        : new IntakeEvent.Computed(
                                inFlight,
                                error == null
                                        ? result
                                        : service.errorResult(
                                                request,
                                                ErrorCode.INTERNAL,
                                                "internal error: " + error,
                                                true,
                                                context))));
        return Taken.TAKEN;
    }

    /** Whether a future failed because the shutdown cut its work: the record is then abandoned, not answered. */
    static boolean cutAtShutdown(Throwable error) {
        Throwable cause = error instanceof CompletionException c && c.getCause() != null ? c.getCause() : error;
        return cause instanceof AbandonedAtShutdownException;
    }

    /**
     * Takes the parked records whose lookup has answered, in the order they were parked; stops at a dependency
     * failure. A lookup that failed is started again once the backoff it caused has passed. Looks only at records
     * whose lookup has answered: a flood parked behind slow lookups costs nothing per turn.
     */
    private void resumeParked(IntSupplier unfinished) {
        readyBehind.clear();
        collectAnswered();
        if (!dispatching || dependencyDown) {
            return;
        }
        if (!retrying.isEmpty()) {
            List<Parked> again = new ArrayList<>(retrying.values());
            retrying.clear();
            for (Parked p : again) {
                await(p, codec.prepare(p.record.topic(), p.record.value()));
            }
            collectAnswered(); // a lookup the codec answers from its cache is taken this turn, in its place
        }
        Parked firstFailed = null;
        for (Iterator<Parked> it = ready.values().iterator(); it.hasNext(); ) {
            Parked p = it.next();
            if (!tracker.current(p.inFlight)) {
                it.remove();
                drop(p); // revoked or lost: not committed, so the partition's next owner reads it again
                continue;
            }
            if (p.lookup.isCompletedExceptionally()) {
                it.remove();
                retrying.put(p.sequence, p);
                if (firstFailed == null) {
                    firstFailed = p;
                }
                continue;
            }
            int before = unfinished.getAsInt();
            if (!laneAdmits(p.inFlight.partition, before)) {
                holdBack(p); // this one and the ready ones after it wait; their partitions take nothing past them
                break;
            }
            listener.received(p.inFlight.capability);
            if (take(p.record, p.inFlight.partition, p.inFlight.capability, p.inFlight, before) == Taken.WAIT) {
                // Prepared again after the backoff, so decode never waits on the registry here
                it.remove();
                retrying.put(p.sequence, p);
                holdBack(p);
                break;
            }
            it.remove();
            unpark(p);
        }
        if (firstFailed != null && !dependencyDown) {
            dependencyFailed(
                    firstFailed.inFlight.partition,
                    -1,
                    "schema registry unavailable while looking up the writer " + "schema of " + firstFailed.inFlight,
                    cause(firstFailed.lookup));
        }
    }

    /** Moves the parked records whose lookup has answered since the last turn to {@link #ready}. */
    private void collectAnswered() {
        for (CompletableFuture<Void> lookup = answered.poll(); lookup != null; lookup = answered.poll()) {
            for (Parked p : awaiting.getOrDefault(lookup, List.of())) {
                if (!p.dropped && parked.containsKey(p.sequence)) {
                    ready.put(p.sequence, p);
                }
            }
            awaiting.remove(lookup);
        }
    }

    /**
     * Holds back the partition of {@code refused} and of every ready parked record after it (a record whose lookup
     * failed waits in {@link #retrying}, so it holds nothing back).
     */
    private void holdBack(Parked refused) {
        readyBehind.add(refused.inFlight.partition);
        for (Parked p : ready.tailMap(refused.sequence, false).values()) {
            if (!p.lookup.isCompletedExceptionally()) {
                readyBehind.add(p.inFlight.partition);
            }
        }
    }

    private static Exception cause(CompletableFuture<Void> failed) {
        try {
            failed.join();
            return null;
        } catch (RuntimeException e) {
            return e.getCause() instanceof Exception c ? c : e;
        }
    }

    /**
     * A dependency failed: rewinds {@code tp} to {@code offset} (a record just polled; -1 for a parked one, which
     * stays registered) and pauses intake for the next backoff.
     */
    private void dependencyFailed(TopicPartition tp, long offset, String why, Exception cause) {
        if (offset >= 0) {
            consumer.seek(tp, offset);
        }
        long delay = backoff.failed(clock.millis());
        if (!dependencyDown) {
            dependencyDown = true;
            log.warn(
                    "Intake paused: {}; retrying in {} ms{}",
                    why,
                    delay,
                    cause == null ? "" : " (" + cause.getMessage() + ")");
        } else {
            log.debug("Still paused: {}; retrying in {} ms", why, delay);
        }
    }

    private void deadLetter(
            ConsumerRecord<byte[], byte[]> r,
            TopicPartition tp,
            Capability capability,
            InFlight parkedAs,
            String errorClass,
            String message) {
        InFlight inFlight = parkedAs != null ? parkedAs : sink.register(r, tp, capability);
        inFlight.becomeDeadLetter(deadLetters.of(inFlight.source(), inFlight.original, errorClass, message));
        log.debug("Dead-lettering {}: {}: {}", inFlight, errorClass, message);
        sink.deadLettered(inFlight);
    }
}
