package io.modelpool.worker.observe;

import static io.modelpool.worker.observe.MeterNames.NO_MODEL;
import static io.modelpool.worker.observe.MeterNames.TAG_CAPABILITY;
import static io.modelpool.worker.observe.MeterNames.TAG_ERROR_CODE;
import static io.modelpool.worker.observe.MeterNames.TAG_MODEL;
import static io.modelpool.worker.observe.MeterNames.TAG_OUTCOME;
import static io.modelpool.worker.observe.MeterNames.TAG_REASON;
import static io.modelpool.worker.observe.MeterNames.UNKNOWN_MODEL;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.modelpool.v1.Capability;
import io.modelpool.v1.DeadLetter;
import io.modelpool.worker.capability.Capabilities;
import io.modelpool.worker.capability.Outcome;
import io.modelpool.worker.kafka.IntakeListener;
import io.modelpool.worker.kafka.ShutdownReport;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns what the intake reports into request, backpressure, commit and shutdown meters, and writes one debug line
 * per answered request with its id, so a request can be found in the logs (at debug only: nothing per record at
 * info).
 *
 * <p>Runs on the intake thread, as {@link IntakeListener} requires; every call is a few map lookups and counter
 * increments. The model tag is the request's model when this worker serves it and {@code unknown} otherwise, so a
 * client naming arbitrary models cannot grow the tag's values.
 */
final class IntakeObserver implements IntakeListener {

    private static final Logger log = LoggerFactory.getLogger(IntakeObserver.class);

    /**
     * Histogram buckets of the request latencies. Explicit, few buckets rather than Micrometer's percentile
     * histogram (about 70 per series): a scrape stays small, and histogram_quantile stays accurate enough.
     */
    static final Duration[] REQUEST_BUCKETS = {
        ms(5),
        ms(10),
        ms(25),
        ms(50),
        ms(100),
        ms(250),
        ms(500),
        ms(1000),
        ms(2500),
        ms(5000),
        ms(10_000),
        ms(30_000),
        ms(60_000),
        ms(120_000),
        ms(300_000)
    };

    private final Map<Capability, Set<String>> servedModels;
    private final Meter.MeterProvider<Counter> received;
    private final Meter.MeterProvider<Counter> completed;
    private final Meter.MeterProvider<Counter> failed;
    private final Meter.MeterProvider<Counter> deadLettered;
    private final Meter.MeterProvider<Timer> queued;
    private final Meter.MeterProvider<Timer> endToEnd;
    private final Counter pauses;
    private final Counter resumes;
    private final Timer commit;
    private final Counter drained;
    private final Counter abandoned;
    private final Timer shutdownDuration;

    IntakeObserver(MeterRegistry registry, Map<Capability, Set<String>> servedModels) {
        this.servedModels = Map.copyOf(servedModels);
        received = Counter.builder(MeterNames.REQUESTS_RECEIVED)
                .description("Request records taken from a request topic, before decoding")
                .withRegistry(registry);
        completed = Counter.builder(MeterNames.REQUESTS_COMPLETED)
                .description("Requests answered with an OK result, counted when the broker acknowledged the result")
                .withRegistry(registry);
        failed = Counter.builder(MeterNames.REQUESTS_FAILED)
                .description("Requests answered with an ERROR result, counted when the broker acknowledged it")
                .withRegistry(registry);
        deadLettered = Counter.builder(MeterNames.REQUESTS_DEAD_LETTERED)
                .description("Undecodable request records written to the dead-letter topic, counted when acknowledged")
                .withRegistry(registry);
        queued = Timer.builder(MeterNames.REQUEST_QUEUED)
                .description("Time a request waited in the model pool before its batch started (result timings)")
                .serviceLevelObjectives(REQUEST_BUCKETS)
                .withRegistry(registry);
        endToEnd = Timer.builder(MeterNames.REQUEST_END_TO_END)
                .description("From the request record's Kafka timestamp until its outcome was acknowledged")
                .serviceLevelObjectives(REQUEST_BUCKETS)
                .withRegistry(registry);
        pauses = Counter.builder(MeterNames.INTAKE_PAUSES)
                .description("Times backpressure paused the intake (unfinished records reached the high-water mark)")
                .register(registry);
        resumes = Counter.builder(MeterNames.INTAKE_RESUMES)
                .description("Times backpressure resumed the intake (unfinished records fell to the low-water mark)")
                .register(registry);
        commit = Timer.builder(MeterNames.OFFSET_COMMIT)
                .description("Offset commits, from the commit call until the broker confirmed it")
                .serviceLevelObjectives(
                        ms(1), ms(2), ms(5), ms(10), ms(25), ms(50), ms(100), ms(250), ms(500), ms(1000), ms(5000))
                .register(registry);
        drained = Counter.builder(MeterNames.SHUTDOWN_DRAINED)
                .description("Requests finished, published and committed during a shutdown's drain")
                .register(registry);
        abandoned = Counter.builder(MeterNames.SHUTDOWN_ABANDONED)
                .description("Requests left unfinished and uncommitted by a shutdown whose drain timed out")
                .register(registry);
        shutdownDuration = Timer.builder(MeterNames.SHUTDOWN_DURATION)
                .description("Shutdown sequences, from the request to stop until the clients closed")
                .register(registry);
    }

    @Override
    public void received(Capability capability) {
        received.withTags(TAG_CAPABILITY, tag(capability)).increment();
    }

    @Override
    public void deadLettered(Capability capability, DeadLetter letter, long recordTimestampMs) {
        long endToEndMs = endToEndMs(recordTimestampMs);
        String cap = tag(capability);
        String reason = simpleName(letter.getErrorClass());
        deadLettered.withTags(TAG_CAPABILITY, cap, TAG_REASON, reason).increment();
        if (endToEndMs >= 0) {
            endToEnd.withTags(TAG_CAPABILITY, cap, TAG_MODEL, NO_MODEL, TAG_OUTCOME, "dead_letter")
                    .record(endToEndMs, TimeUnit.MILLISECONDS);
        }
        if (log.isDebugEnabled()) {
            log.atDebug()
                    .addKeyValue(
                            "source",
                            letter.getSourceTopic() + "-" + letter.getSourcePartition() + "@"
                                    + letter.getSourceOffset())
                    .addKeyValue("reason", reason)
                    .log("Request record dead-lettered");
        }
    }

    @Override
    public void answered(Capability capability, Outcome.Envelope result, long recordTimestampMs) {
        long endToEndMs = endToEndMs(recordTimestampMs);
        String cap = tag(capability);
        String model = result.model();
        String modelTag = servedModels.getOrDefault(capability, Set.of()).contains(model) ? model : UNKNOWN_MODEL;
        boolean ok = result.ok();
        String errorCode = ok ? null : result.errorCode().name();
        if (ok) {
            completed.withTags(TAG_CAPABILITY, cap, TAG_MODEL, modelTag).increment();
        } else {
            failed.withTags(TAG_CAPABILITY, cap, TAG_MODEL, modelTag, TAG_ERROR_CODE, errorCode)
                    .increment();
        }
        String outcomeTag = ok ? "ok" : "error";
        long queuedMs = result.queuedMs();
        queued.withTags(TAG_CAPABILITY, cap, TAG_MODEL, modelTag, TAG_OUTCOME, outcomeTag)
                .record(queuedMs, TimeUnit.MILLISECONDS);
        if (endToEndMs >= 0) {
            endToEnd.withTags(TAG_CAPABILITY, cap, TAG_MODEL, modelTag, TAG_OUTCOME, outcomeTag)
                    .record(endToEndMs, TimeUnit.MILLISECONDS);
        }
        if (log.isDebugEnabled()) {
            log.atDebug()
                    .addKeyValue("request_id", result.requestId())
                    .addKeyValue("model", model)
                    .addKeyValue("status", ok ? "OK" : errorCode)
                    .addKeyValue("queued_ms", queuedMs)
                    .addKeyValue("end_to_end_ms", endToEndMs)
                    .log("Request answered");
        }
    }

    /** From the request record's timestamp until now, or -1 when the record has none. */
    private static long endToEndMs(long recordTimestampMs) {
        return recordTimestampMs >= 0 ? Math.max(0, System.currentTimeMillis() - recordTimestampMs) : -1;
    }

    @Override
    public void committed(Map<TopicPartition, OffsetAndMetadata> offsets, Duration took) {
        commit.record(took);
        if (log.isDebugEnabled()) {
            log.atDebug()
                    .addKeyValue("partitions", offsets.size())
                    .addKeyValue("took_ms", took.toMillis())
                    .log("Offsets committed");
        }
    }

    @Override
    public void paused() {
        pauses.increment();
    }

    @Override
    public void resumed() {
        resumes.increment();
    }

    @Override
    public void shutdown(ShutdownReport report) {
        drained.increment(report.drained());
        abandoned.increment(report.abandoned());
        shutdownDuration.record(report.elapsed());
    }

    static Duration ms(long millis) {
        return Duration.ofMillis(millis);
    }

    static String tag(Capability capability) {
        return capability == null ? "unknown" : Capabilities.manifestName(capability);
    }

    private static String simpleName(String className) {
        if (className == null || className.isBlank()) {
            return "unknown";
        }
        return className.substring(className.lastIndexOf('.') + 1);
    }
}
