package io.modelpool.worker.kafka;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.worker.capability.CapabilityRegistry;
import io.modelpool.worker.capability.CapabilityService;
import io.modelpool.worker.capability.RequestContext;
import io.modelpool.worker.capability.RequestPriorities;
import io.modelpool.worker.pool.PoolError;
import io.modelpool.worker.pool.PoolRejectedException;
import java.time.Clock;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;
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
 * at its bound, when it is bulk work and {@link BulkGate} keeps the rest of the budget for interactive work, when the pool is shutting down, or when a dependency is away (the schema registry cannot be reached,
 * the model's queue is full): then intake pauses with backoff ({@link #dependencyDown}), so a good record is never
 * dead-lettered because a dependency was briefly down.
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
    private final CapabilityRegistry capabilities;
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
    private final BulkGate bulkGate;
    private boolean dispatching = true;
    private boolean dependencyDown;

    Dispatcher(String workerId, int maxRequestBytes, CapabilityRegistry capabilities, Consumer<byte[], byte[]> consumer,
            RecordCodec codec, Map<String, Capability> requestTopics, Map<Capability, String> resultTopics,
            InFlightTracker tracker, Admission admission, DeadLetters deadLetters, IntakeListener listener,
            Queue<IntakeEvent> events, Backoff backoff, Clock clock, Sink sink) {
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
        this.bulkGate = new BulkGate(capabilities::estimatedSecondsInFlight, admission.budgetSeconds(), clock::millis);
    }

    /** Whether {@code tp} is held back because its next record is bulk work and bulk is at its share; see {@link BulkGate}. */
    boolean holds(TopicPartition tp) {
        return bulkGate.holds(tp);
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

    /** Takes the polled records until one is refused; {@code unfinished} counts the work in flight. */
    void dispatch(ConsumerRecords<byte[], byte[]> records, IntSupplier unfinished) {
        int assigned = consumer.assignment().size();
        for (TopicPartition tp : records.partitions()) {
            for (ConsumerRecord<byte[], byte[]> r : records.records(tp)) {
                if (!dispatching || dependencyDown) {
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (admission.partitionFull(tracker.outstanding(tp), assigned)) {
                    consumer.seek(tp, r.offset()); // this partition waits alone; the others go on
                    break;
                }
                if (!admission.admits(unfinished.getAsInt())) {
                    // Leave the rest of the partition to be fetched again after the resume, so the bound is hard.
                    consumer.seek(tp, r.offset());
                    break;
                }
                if (!dispatchOne(r, tp, unfinished)) {
                    break;
                }
            }
        }
    }

    /** Returns false when the record was not taken and its partition was rewound to it. */
    private boolean dispatchOne(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, IntSupplier unfinished) {
        Capability capability = requestTopics.get(r.topic());
        listener.received(capability);
        byte[] value = r.value();
        if (value == null) {
            deadLetter(r, tp, capability, "TombstoneRecord",
                    "a request record must have a value; this one is a tombstone");
            return true;
        }
        if (value.length > maxRequestBytes) {
            deadLetter(r, tp, capability, "RequestTooLarge", "request of " + value.length + " bytes exceeds "
                    + "intake.max-request-bytes (" + maxRequestBytes + ")");
            return true;
        }
        SpecificRecord request;
        try {
            request = codec.decode(r.topic(), r.headers(), value);
        } catch (RecordCodec.DependencyUnavailableException e) {
            rewind(tp, r.offset(), "schema registry unavailable while decoding " + tp + "@" + r.offset(), e);
            return false;
        } catch (SerializationException e) {
            deadLetter(r, tp, capability, e.getClass().getName(), String.valueOf(e.getMessage()));
            return true;
        }
        if (RequestPriorities.poolClass(request) == RequestPriorities.BULK) {
            if (!bulkGate.admitsBulk(tp, unfinished.getAsInt())) {
                consumer.seek(tp, r.offset()); // held: interactive records keep room in the budget
                return false;
            }
        } else {
            bulkGate.taken(tp);
        }
        CapabilityService service = capabilities.service(capability);
        RequestContext context = new RequestContext(workerId, r.timestamp());
        CompletableFuture<SpecificRecord> outcome;
        try {
            outcome = service.handle(request, context);
        } catch (PoolRejectedException e) {
            consumer.seek(tp, r.offset());
            if (e.error() instanceof PoolError.ShuttingDown) {
                dispatching = false;
            } else {
                rewind(tp, r.offset(), "pool rejected " + tp + "@" + r.offset() + ": " + e.error(), null);
            }
            return false;
        } catch (RuntimeException e) {
            log.error("Capability {} failed on request at {}@{}; answering with an INTERNAL error", capability, tp,
                    r.offset(), e);
            outcome = CompletableFuture.completedFuture(service.errorResult(request, ErrorCode.INTERNAL,
                    "internal error: " + e, true, context));
        }
        backoff.succeeded();
        InFlight inFlight = sink.register(r, tp, capability);
        inFlight.resultTopic = resultTopics.get(capability);
        inFlight.errorResults = (code, message) -> service.errorResult(request, code, message, false, context);
        tracker.computing(inFlight);
        outcome.whenComplete((result, error) -> events.add(new IntakeEvent.Computed(inFlight, error == null ? result
                : service.errorResult(request, ErrorCode.INTERNAL, "internal error: " + error, true, context))));
        return true;
    }

    private void rewind(TopicPartition tp, long offset, String why, Exception cause) {
        consumer.seek(tp, offset);
        long delay = backoff.failed(clock.millis());
        if (!dependencyDown) {
            dependencyDown = true;
            log.warn("Intake paused: {}; retrying in {} ms{}", why, delay,
                    cause == null ? "" : " (" + cause.getMessage() + ")");
        } else {
            log.debug("Still paused: {}; retrying in {} ms", why, delay);
        }
    }

    private void deadLetter(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, Capability capability,
            String errorClass, String message) {
        InFlight inFlight = sink.register(r, tp, capability);
        inFlight.becomeDeadLetter(deadLetters.of(inFlight.source(), inFlight.original, errorClass, message));
        log.debug("Dead-lettering {}: {}: {}", inFlight, errorClass, message);
        sink.deadLettered(inFlight);
    }
}
