package io.modelpool.worker.jobs;

import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Applies job events to the job's {@link JobStatus} in the queryable store {@value #STATUS_STORE} and publishes the
 * status downstream (to {@code <prefix>.jobs.status}).
 *
 * <p>Publishing every result's status would write one status record per result; instead a changed job is marked in
 * {@value #UNSENT_STORE} and published by a wall-clock punctuator every {@code statusInterval}. A change of state
 * (first sight, registration, COMPLETED, STALLED, back to RUNNING) is published at once. Both stores are persistent
 * and changelogged, so a job marked unsent before a crash is still published after the restore.
 *
 * <p>A second wall-clock punctuator marks RUNNING jobs STALLED when nothing happened to them for {@code stallAfter}
 * ({@link JobProgress#stalled}). It walks the whole store, which holds one entry per job (not per result), at most
 * every few seconds.
 */
final class JobProgressProcessor implements ProcessorSupplier<String, JobEvent, String, JobStatus> {

    static final String STATUS_STORE = "job-status";
    static final String UNSENT_STORE = "job-status-unsent";
    /** The stall check runs this often at most, and at least every {@code stallAfter / 4}. */
    static final Duration MAX_STALL_CHECK_INTERVAL = Duration.ofSeconds(30);

    private final Serde<JobStatus> statusSerde;
    private final Duration stallAfter;
    private final Duration statusInterval;

    JobProgressProcessor(Serde<JobStatus> statusSerde, Duration stallAfter, Duration statusInterval) {
        this.statusSerde = statusSerde;
        this.stallAfter = stallAfter;
        this.statusInterval = statusInterval;
    }

    static Duration stallCheckInterval(Duration stallAfter, Duration statusInterval) {
        Duration quarter = stallAfter.dividedBy(4);
        Duration capped = quarter.compareTo(MAX_STALL_CHECK_INTERVAL) > 0 ? MAX_STALL_CHECK_INTERVAL : quarter;
        return capped.compareTo(statusInterval) < 0 ? statusInterval : capped;
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
        return Set.of(
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATUS_STORE), Serdes.String(), statusSerde)
                        .withCachingEnabled(),
                Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(UNSENT_STORE), Serdes.String(),
                        Serdes.Long()).withCachingEnabled());
    }

    @Override
    public Processor<String, JobEvent, String, JobStatus> get() {
        return new Processor<>() {
            private ProcessorContext<String, JobStatus> context;
            private KeyValueStore<String, JobStatus> jobs;
            private KeyValueStore<String, Long> unsent;

            @Override
            public void init(ProcessorContext<String, JobStatus> context) {
                this.context = context;
                this.jobs = context.getStateStore(STATUS_STORE);
                this.unsent = context.getStateStore(UNSENT_STORE);
                context.schedule(statusInterval, PunctuationType.WALL_CLOCK_TIME, this::publishUnsent);
                context.schedule(stallCheckInterval(stallAfter, statusInterval), PunctuationType.WALL_CLOCK_TIME,
                        this::markStalled);
            }

            @Override
            public void process(Record<String, JobEvent> record) {
                JobEvent event = record.value();
                if (event == null) {
                    return;
                }
                long now = context.currentSystemTimeMs();
                JobStatus before = jobs.get(event.jobId());
                JobStatus after = event instanceof JobEvent.Registered r
                        ? JobProgress.registered(before, r, now)
                        : JobProgress.answered(before, (JobEvent.Answered) event, now);
                jobs.put(after.getJobId(), after);
                if (JobProgress.stateChanged(before, after)) {
                    publish(after, now);
                } else {
                    unsent.put(after.getJobId(), now);
                }
            }

            private void publishUnsent(long now) {
                List<String> sent = new ArrayList<>();
                try (KeyValueIterator<String, Long> it = unsent.all()) {
                    while (it.hasNext()) {
                        String jobId = it.next().key;
                        JobStatus status = jobs.get(jobId);
                        if (status != null) {
                            context.forward(new Record<>(jobId, status, now));
                        }
                        sent.add(jobId);
                    }
                }
                sent.forEach(unsent::delete);
            }

            private void markStalled(long now) {
                List<JobStatus> stalled = new ArrayList<>();
                try (KeyValueIterator<String, JobStatus> it = jobs.all()) {
                    while (it.hasNext()) {
                        KeyValue<String, JobStatus> job = it.next();
                        JobProgress.stalled(job.value, now, stallAfter).ifPresent(stalled::add);
                    }
                }
                for (JobStatus s : stalled) {
                    jobs.put(s.getJobId(), s);
                    publish(s, now);
                }
            }

            private void publish(JobStatus status, long now) {
                unsent.delete(status.getJobId());
                context.forward(new Record<>(status.getJobId(), status, now));
            }
        };
    }
}
