package io.modelpool.worker.kafka;

import io.modelpool.schemas.Topics;
import io.modelpool.v1.Capability;
import io.modelpool.worker.capability.CapabilityServices;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The intake loop: poll, dispatch, pause reconciliation, event pump. Request records in, pool work out, outcomes
 * back ({@link IntakeEvents}) through the {@link Delivery} its {@link Guarantee} chose once.
 *
 * <p><b>Threads.</b> {@link #run()} is the intake thread. It alone touches the consumer and decides what the
 * producer sends. Pool workers and the producer's I/O thread report back through an event queue.
 * {@link #requestShutdown()} may be called from any thread (a signal handler).
 *
 * <p><b>Per record.</b> Undecodable bytes (not Confluent framing, unknown schema id, Avro that does not parse, a
 * tombstone, a value over {@code intake.max-request-bytes}) become a {@linkplain DeadLetters dead letter}. A decoded
 * request goes to its capability, which answers every bad request with an error result. If the schema registry
 * cannot be reached or the pool's queue is full, the record is not dispatched: its partition is rewound to it and
 * intake pauses with backoff, so a good record is never dead-lettered because a dependency was briefly down. Every
 * outcome can be published ({@link Publishability}).
 *
 * <p><b>Offsets.</b> The {@link InFlightTracker} follows every dispatched record to done; commits carry the
 * contiguous done prefix, so the committed position never passes an unfinished record.
 *
 * <p><b>Backpressure.</b> {@link Admission} bounds the estimated seconds of work in flight and the unfinished records;
 * the rest of a poll is fetched again later, and the partitions pause meanwhile, polling all the while: the bulk
 * request topics first, the interactive ones once their {@link InteractiveReserve} is full too.
 *
 * <p><b>Rebalance.</b> On revocation, work of the revoked partitions gets up to the drain timeout to finish; the
 * done prefix is committed before the callback returns; the rest is abandoned (not committed). Lost partitions are
 * forgotten without committing.
 *
 * <p><b>Shutdown.</b> After {@link #requestShutdown()} the loop ends and {@link IntakeShutdown} runs: the pools
 * reject new work, every partition is paused, nothing more is dispatched; in-flight work drains until the drain
 * timeout counted from the request, polling with every partition paused; then publishing, the commit and the client
 * closes share what is left of one deadline (drain plus close timeout, from the request). Work a capability cut at
 * its shutdown grace comes back
 * {@linkplain IntakeEvent.Abandoned abandoned}: nothing is published for it, its offset is not committed, and the
 * drain does not wait for it.
 */
public final class Intake implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(Intake.class);

    /** Poll timeout while work is outstanding: short, so completions are published promptly. */
    private static final Duration BUSY_POLL = Duration.ofMillis(2);

    private final IntakeSettings settings;
    private final CapabilityServices capabilities;
    private final Consumer<byte[], byte[]> consumer;
    private final Producer<byte[], byte[]> producer;
    private final IntakeListener listener;
    private final Clock clock;
    private final Map<String, Capability> requestTopics = new HashMap<>();
    private final Map<Capability, String> resultTopics = new HashMap<>();
    private final String deadLetterTopic;

    private final LinkedBlockingQueue<IntakeEvent> eventQueue = new LinkedBlockingQueue<>();
    private final InFlightTracker tracker = new InFlightTracker();
    private final Admission admission;
    private final Pausing pausing = new Pausing();
    private final Dispatcher dispatcher;
    private final DeadLetters deadLetters;
    private final Publisher publisher;
    private final Delivery delivery;
    private final IntakeEvents events;
    private final CloseBudget closeBudget;
    private final IntakeShutdown shutdown;

    private volatile boolean shutdownRequested;
    private volatile long lastTurnNanos = System.nanoTime();
    /** When shutdown was requested ({@link System#nanoTime()}): the drain and every later step count from here. */
    private volatile long signalNanos;

    private final AtomicBoolean assigned = new AtomicBoolean();
    private volatile ShutdownReport shutdownReport;

    public Intake(
            IntakeSettings settings,
            CapabilityServices capabilities,
            Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            RecordCodec codec,
            IntakeListener listener) {
        this(settings, capabilities, consumer, producer, codec, listener, JobGate.OPEN, Clock.systemUTC());
    }

    public Intake(
            IntakeSettings settings,
            CapabilityServices capabilities,
            Consumer<byte[], byte[]> consumer,
            Producer<byte[], byte[]> producer,
            RecordCodec codec,
            IntakeListener listener,
            JobGate jobs,
            Clock clock) {
        this.settings = settings;
        this.capabilities = capabilities;
        this.consumer = consumer;
        this.producer = producer;
        this.listener = listener;
        this.clock = clock;
        for (Capability c : capabilities.enabled()) {
            requestTopics.put(Topics.requests(settings.topicPrefix(), c), c);
            requestTopics.put(Topics.bulkRequests(settings.topicPrefix(), c), c);
            resultTopics.put(c, Topics.results(settings.topicPrefix(), c));
        }
        if (requestTopics.isEmpty()) {
            throw new IllegalArgumentException("the manifest enables no capability: nothing to consume");
        }
        this.deadLetterTopic = Topics.deadLetters(settings.topicPrefix());
        this.admission = new Admission(settings, capabilities::estimatedSecondsInFlight, tracker::computingBytes);
        this.deadLetters = new DeadLetters(settings.workerId(), settings.deadLetterMaxValueBytes(), clock);
        this.publisher = new Publisher(
                settings.workerId(),
                tracker,
                codec,
                deadLetters,
                new Publishability(
                        settings.permanentFailureAttempts(), settings.retryBackoff(), settings.retryBackoffMax()),
                new PublishGate(settings.publishLinger(), settings.publishMaxRecords()),
                new Backoff(settings.retryBackoff(), settings.retryBackoffMax()),
                clock);
        this.closeBudget = new CloseBudget(settings.closeTimeout());
        this.delivery = settings.guarantee()
                .delivery(new Delivery.Parts(
                        settings, consumer, producer, tracker, listener, eventQueue, publisher, closeBudget));
        this.events = new IntakeEvents(eventQueue, tracker, delivery, this::sendable);
        publisher.deliverThrough(delivery);
        this.dispatcher = new Dispatcher(
                settings.workerId(),
                settings.maxRequestBytes(),
                capabilities,
                consumer,
                codec,
                requestTopics,
                resultTopics,
                tracker,
                admission,
                deadLetters,
                listener,
                eventQueue,
                new Backoff(settings.retryBackoff(), settings.retryBackoffMax()),
                clock,
                jobs,
                new Dispatcher.Sink() {
                    @Override
                    public InFlight register(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, Capability c) {
                        return Intake.this.register(r, tp, c);
                    }

                    @Override
                    public void deadLettered(InFlight r) {
                        delivery.computed(r, Intake.this::sendable);
                    }
                });
        this.shutdown = new IntakeShutdown(
                settings,
                capabilities,
                consumer,
                producer,
                listener,
                tracker,
                dispatcher,
                delivery,
                events,
                closeBudget);
    }

    /** The request topics this intake subscribes to. */
    public Set<String> requestTopics() {
        return Set.copyOf(requestTopics.keySet());
    }

    /** Starts a graceful shutdown. Safe from any thread; returns at once. */
    public void requestShutdown() {
        if (!shutdownRequested) {
            signalNanos = System.nanoTime();
        }
        shutdownRequested = true;
        consumer.wakeup();
    }

    public boolean shutdownRequested() {
        return shutdownRequested;
    }

    /** Whether the consumer holds at least one partition. */
    public boolean hasAssignment() {
        return assigned.get();
    }

    /** Set once {@link #run()} has finished its shutdown sequence. */
    public ShutdownReport shutdownReport() {
        return shutdownReport;
    }

    /** Whether the intake stopped because its transactional producer was fenced or failed beyond recovery. */
    public boolean stoppedOnFatalError() {
        return delivery.fatal() != null;
    }

    /** For tests and metrics: unfinished records. */
    public int unfinished() {
        return Math.max(0, tracker.outstanding() - dispatcher.parked()) + tracker.waitingCount(); // parked: no work
    }

    @Override
    public void run() {
        try {
            delivery.start();
            consumer.subscribe(
                    requestTopics.keySet(),
                    new Rebalance(
                            consumer,
                            tracker,
                            delivery,
                            assigned,
                            () -> shutdownRequested ? Duration.ZERO : settings.drainTimeout(),
                            closeBudget::get,
                            waitMs -> pump(waitMs, false),
                            this::forget));
            log.info(
                    "Intake started: worker={} topics={} high-water={} low-water={} guarantee={}",
                    settings.workerId(),
                    requestTopics.keySet(),
                    settings.highWater(),
                    settings.lowWater(),
                    settings.guarantee().configName());
            while (!shutdownRequested && delivery.fatal() == null) {
                loopOnce();
            }
        } catch (WakeupException e) {
            if (!shutdownRequested) {
                throw e;
            }
        } finally {
            shutdownReport = shutdown.run(
                    shutdownRequested ? signalNanos : System.nanoTime(),
                    this::reconcilePause,
                    waitMs -> pump(waitMs, true));
        }
    }

    /** When the loop (or a drain's pump) last turned, {@link System#nanoTime()}: liveness. */
    public long lastTurnNanos() {
        return lastTurnNanos;
    }

    private void loopOnce() {
        lastTurnNanos = System.nanoTime();
        reconcilePause();
        boolean busy = tracker.outstanding() > 0 || tracker.waitingCount() > 0;
        ConsumerRecords<byte[], byte[]> records = consumer.poll(busy ? BUSY_POLL : settings.pollTimeout());
        if (!shutdownRequested) { // every turn: records parked on a schema lookup resume here
            dispatcher.dispatch(records, this::unfinished);
        }
        events.handle(0);
        publisher.publishIfDue();
        delivery.maybeCommit(clock.millis(), tracker.outstanding() == 0 && tracker.waitingCount() == 0);
    }

    // ---------------------------------------------------------------- dispatch

    private InFlight register(ConsumerRecord<byte[], byte[]> r, TopicPartition tp, Capability capability) {
        long epoch = tracker.register(tp, r.offset());
        InFlight inFlight = new InFlight(
                tp, r.offset(), epoch, capability, r.timestamp(), r.headers(), r.key(), deadLetters.keep(r.value()));
        inFlight.deadLetterTopic = deadLetterTopic;
        delivery.dispatched(inFlight);
        return inFlight;
    }

    private void sendable(InFlight r) {
        tracker.ready(r);
        publisher.ready(r.interactive);
    }

    // ---------------------------------------------------------------- pausing and the drain's turn

    /** Pauses every assigned partition while backpressure, a dependency backoff or shutdown says so. */
    private void reconcilePause() {
        Backpressure.Action action = admission.observe(unfinished());
        if (action == Backpressure.Action.PAUSE) {
            listener.paused();
        } else if (action == Backpressure.Action.RESUME) {
            listener.resumed();
        }
        pausing.reconcile(
                consumer,
                shutdownRequested || !dispatcher.dispatching() || dispatcher.dependencyDown(),
                dispatcher.waiting(consumer.assignment().size(), unfinished()));
    }

    /** One turn of a drain: publish, take events, and at shutdown poll with every partition paused. */
    private void pump(long waitMs, boolean poll) {
        lastTurnNanos = System.nanoTime();
        publisher.publishNow();
        events.handle(waitMs);
        if (poll) {
            try {
                // Polling keeps the member alive, runs commit callbacks and handles a rebalance during the drain
                // (its revocation commits what finished); records of partitions assigned meanwhile are not taken.
                reconcilePause();
                consumer.poll(Duration.ZERO);
            } catch (WakeupException e) {
                log.debug("Wakeup during the drain's poll; polling on");
            } catch (KafkaException e) {
                log.warn("Polling during the drain failed: {}", e.toString());
            }
        }
    }

    private void forget(Collection<TopicPartition> gone, boolean lost) {
        tracker.forget(gone);
        pausing.forget(gone);
        dispatcher.forget(gone);
        if (lost) {
            delivery.lost(gone);
        } else {
            delivery.forget(gone);
        }
    }
}
