package io.modelpool.worker.jobs;

import io.modelpool.v1.JobStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
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
 * <p>A second wall-clock punctuator attends to the jobs that are due, and only to them: RUNNING jobs with nothing new
 * for {@code stallAfter} turn STALLED and CANCELLING ones CANCELLED, RUNNING or STALLED jobs whose completion window
 * closed turn EXPIRED ({@link JobProgress#atDeadline}), and COMPLETED, STALLED, CANCELLED or EXPIRED jobs unchanged
 * for {@code retention} leave both stores. It finds them through {@value JobDeadlines#STORE}, an index keyed by each
 * job's next deadline ({@link JobDeadlines}), with one range read from the start of the index up to now; the index is
 * kept in step with every change of a job. A store restored from a version without the index is indexed once, when
 * its task starts. The compacted status topic keeps an expired job's last status; only the tracker forgets it.
 */
final class JobProgressProcessor implements ProcessorSupplier<String, JobEvent, String, JobStatus> {

    static final String STATUS_STORE = "job-status";
    static final String UNSENT_STORE = "job-status-unsent";
    private static final byte[] NO_VALUE = new byte[0];
    /** The stall check runs this often at most, and at least every {@code stallAfter / 4}. */
    static final Duration MAX_STALL_CHECK_INTERVAL = Duration.ofSeconds(30);

    private final Serde<JobStatus> statusSerde;
    private final Duration stallAfter;
    private final Duration statusInterval;
    private final JobDeadlines deadlines;

    JobProgressProcessor(
            Serde<JobStatus> statusSerde, Duration stallAfter, Duration statusInterval, Duration retention) {
        this.statusSerde = statusSerde;
        this.stallAfter = stallAfter;
        this.statusInterval = statusInterval;
        this.deadlines = new JobDeadlines(stallAfter, retention);
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
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(UNSENT_STORE), Serdes.String(), Serdes.Long())
                        .withCachingEnabled(),
                Stores.keyValueStoreBuilder(
                                Stores.persistentKeyValueStore(JobDeadlines.STORE), Serdes.Bytes(), Serdes.ByteArray())
                        .withCachingEnabled());
    }

    @Override
    public Processor<String, JobEvent, String, JobStatus> get() {
        return new Processor<>() {
            private ProcessorContext<String, JobStatus> context;
            private KeyValueStore<String, JobStatus> jobs;
            private KeyValueStore<String, Long> unsent;
            private KeyValueStore<Bytes, byte[]> due;

            @Override
            public void init(ProcessorContext<String, JobStatus> context) {
                this.context = context;
                this.jobs = context.getStateStore(STATUS_STORE);
                this.unsent = context.getStateStore(UNSENT_STORE);
                this.due = context.getStateStore(JobDeadlines.STORE);
                indexUnindexedJobs();
                context.schedule(statusInterval, PunctuationType.WALL_CLOCK_TIME, this::publishUnsent);
                context.schedule(
                        stallCheckInterval(stallAfter, statusInterval),
                        PunctuationType.WALL_CLOCK_TIME,
                        this::attendDueJobs);
            }

            /** Builds the index once over a store that has jobs but no index (one written before the index existed). */
            private void indexUnindexedJobs() {
                try (KeyValueIterator<Bytes, byte[]> it = due.all()) {
                    if (it.hasNext()) {
                        return;
                    }
                }
                try (KeyValueIterator<String, JobStatus> it = jobs.all()) {
                    while (it.hasNext()) {
                        due.put(deadlines.keyOf(it.next().value), NO_VALUE);
                    }
                }
            }

            @Override
            public void process(Record<String, JobEvent> record) {
                JobEvent event = record.value();
                if (event == null) {
                    return;
                }
                long now = context.currentSystemTimeMs();
                JobStatus before = jobs.get(event.jobId());
                JobStatus after;
                if (event instanceof JobEvent.Registered r) {
                    after = JobProgress.registered(before, r, now);
                } else if (event instanceof JobEvent.Cancelled c) {
                    after = JobProgress.cancelled(before, c, now);
                    if (after == before) {
                        return; // already cancelling or finished: nothing changes
                    }
                } else {
                    after = JobProgress.answered(before, (JobEvent.Answered) event, now);
                }
                store(before, after);
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

            /** Stalls or expires the jobs whose deadline has passed; reads only those (see {@link JobDeadlines}). */
            private void attendDueJobs(long now) {
                List<Bytes> dueKeys = new ArrayList<>();
                try (KeyValueIterator<Bytes, byte[]> it =
                        due.range(JobDeadlines.first(), JobDeadlines.dueBefore(now))) {
                    while (it.hasNext()) {
                        dueKeys.add(it.next().key);
                    }
                }
                for (Bytes key : dueKeys) {
                    String jobId = JobDeadlines.jobId(key);
                    JobStatus status = jobs.get(jobId);
                    if (status == null || !deadlines.keyOf(status).equals(key)) {
                        due.delete(key); // an entry the job has moved on from: nothing to do
                    } else if (JobDeadlines.expires(status) && !deadlines.windowFirst(status)) {
                        due.delete(key);
                        jobs.delete(jobId);
                        unsent.delete(jobId);
                    } else {
                        JobProgress.atDeadline(status, now, stallAfter).ifPresent(next -> {
                            store(status, next);
                            publish(next, now);
                        });
                    }
                }
            }

            /** Writes the job's new status and moves its deadline in the index. */
            private void store(JobStatus before, JobStatus after) {
                jobs.put(after.getJobId(), after);
                Bytes next = deadlines.keyOf(after);
                if (before != null) {
                    Bytes previous = deadlines.keyOf(before);
                    if (previous.equals(next)) {
                        return;
                    }
                    due.delete(previous);
                }
                due.put(next, NO_VALUE);
            }

            private void publish(JobStatus status, long now) {
                unsent.delete(status.getJobId());
                context.forward(new Record<>(status.getJobId(), status, now));
            }
        };
    }
}
