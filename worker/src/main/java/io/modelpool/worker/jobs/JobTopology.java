package io.modelpool.worker.jobs;

import io.modelpool.schemas.Topics;
import io.modelpool.schemas.serde.ConfluentAvroSerde;
import io.modelpool.v1.Capability;
import io.modelpool.v1.JobAction;
import io.modelpool.v1.JobControl;
import io.modelpool.v1.JobRegistration;
import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * The job tracker's topology:
 *
 * <pre>
 *   &lt;prefix&gt;.&lt;capability&gt;.results (x5, keyed by request id)
 *       -&gt; dedup by (job id, request id)   [windowed store job-result-ids]
 *       -&gt; re-key by job id ---------------------+
 *   &lt;prefix&gt;.jobs (keyed by job id) -&gt; JobEvent -+-&gt; repartition "job-events" by job id
 *   &lt;prefix&gt;.jobs.control (cancels) -&gt; JobEvent -+
 *       -&gt; progress per job                    [store job-status (queryable), job-status-unsent, job-deadlines]
 *       -&gt; &lt;prefix&gt;.jobs.status (compacted, keyed by job id)
 * </pre>
 *
 * Registrations and results meet in one repartition topic, so both of a job's streams reach the same task in order
 * of arrival there, whatever the partition counts of the source topics.
 */
public final class JobTopology {

    /** The queryable store of every hosted job's {@link JobStatus}, keyed by job id. */
    public static final String STATUS_STORE = JobProgressProcessor.STATUS_STORE;

    /**
     * @param topicPrefix the fleet's topic prefix
     * @param registryConfig schema-registry settings for the Avro serdes
     * @param stallAfter a RUNNING job with nothing new for this long is STALLED
     * @param dedupRetention how long a request id is remembered to drop duplicate results
     * @param statusInterval how often changed jobs are published
     * @param retention how long a COMPLETED, STALLED, CANCELLED or EXPIRED job stays in the store after its last
     *                  change
     */
    public record Settings(
            String topicPrefix,
            Map<String, ?> registryConfig,
            Duration stallAfter,
            Duration dedupRetention,
            Duration statusInterval,
            Duration retention) {

        /** The default of {@code jobs.retention-ms}. */
        public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

        public Settings {
            Objects.requireNonNull(topicPrefix, "topicPrefix");
            registryConfig = Map.copyOf(registryConfig);
            requirePositive("stallAfter", stallAfter);
            requirePositive("dedupRetention", dedupRetention);
            requirePositive("statusInterval", statusInterval);
            requirePositive("retention", retention);
        }

        /** Settings with the default retention, {@link #DEFAULT_RETENTION}. */
        public Settings(
                String topicPrefix,
                Map<String, ?> registryConfig,
                Duration stallAfter,
                Duration dedupRetention,
                Duration statusInterval) {
            this(topicPrefix, registryConfig, stallAfter, dedupRetention, statusInterval, DEFAULT_RETENTION);
        }

        private static void requirePositive(String name, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, was " + d);
            }
        }
    }

    private JobTopology() {}

    public static Topology build(Settings settings) {
        StreamsBuilder builder = new StreamsBuilder();
        String prefix = settings.topicPrefix();
        Map<String, ?> registry = settings.registryConfig();

        KStream<String, GenericRecord> results = null;
        for (Capability capability : Capability.values()) {
            Serde<GenericRecord> serde = Serdes.serdeFrom(
                    ConfluentAvroSerde.genericSerializer(registry, false),
                    ConfluentAvroSerde.genericDeserializer(ResultProjection.readerSchema(capability), registry, false));
            String name = Topics.name(capability);
            KStream<String, GenericRecord> stream = builder.stream(
                    Topics.results(prefix, capability),
                    Consumed.with(Serdes.String(), serde).withName(name + "-results"));
            results = results == null ? stream : results.merge(stream, Named.as("merge-" + name + "-results"));
        }
        KStream<String, JobEvent> answers =
                results.process(new ResultDeduplicator(settings.dedupRetention()), Named.as("dedup-results"));

        Serde<JobRegistration> registrationSerde =
                ConfluentAvroSerde.specificSerde(JobRegistration.class, registry, false);
        KStream<String, JobEvent> registrations = builder.stream(
                        Topics.jobs(prefix),
                        Consumed.with(Serdes.String(), registrationSerde).withName("registrations"))
                .filter((jobId, r) -> r != null, Named.as("drop-tombstones"))
                .map((jobId, r) -> KeyValue.pair(r.getJobId(), toEvent(r)), Named.as("registration-events"));

        Serde<JobControl> controlSerde = ConfluentAvroSerde.specificSerde(JobControl.class, registry, false);
        KStream<String, JobEvent> cancels = builder.stream(
                        Topics.jobControl(prefix),
                        Consumed.with(Serdes.String(), controlSerde).withName("controls"))
                .filter((jobId, c) -> c != null && c.getAction() == JobAction.CANCEL, Named.as("cancels-only"))
                .map(
                        (jobId, c) -> KeyValue.pair(c.getJobId(), (JobEvent) new JobEvent.Cancelled(
                                c.getJobId(),
                                c.getRequestedBy(),
                                c.getRequestedAt().toEpochMilli())),
                        Named.as("cancel-events"));

        Serde<JobStatus> statusSerde = ConfluentAvroSerde.specificSerde(JobStatus.class, registry, false);
        answers.merge(registrations, Named.as("merge-job-events"))
                .merge(cancels, Named.as("merge-cancel-events"))
                .repartition(
                        Repartitioned.with(Serdes.String(), new JobEventSerde()).withName("job-events"))
                .process(
                        new JobProgressProcessor(
                                statusSerde, settings.stallAfter(), settings.statusInterval(), settings.retention()),
                        Named.as("job-progress"))
                .to(
                        Topics.jobStatus(prefix),
                        Produced.with(Serdes.String(), statusSerde).withName("job-status-out"));
        return builder.build();
    }

    static JobEvent.Registered toEvent(JobRegistration r) {
        return new JobEvent.Registered(
                r.getJobId(),
                r.getCapability(),
                r.getModel(),
                r.getExpectedCount(),
                r.getSubmitter(),
                r.getSubmittedAt().toEpochMilli(),
                r.getExpiresAt() == null
                        ? JobEvent.Registered.NO_WINDOW
                        : r.getExpiresAt().toEpochMilli());
    }
}
