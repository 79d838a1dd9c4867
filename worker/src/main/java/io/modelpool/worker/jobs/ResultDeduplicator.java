package io.modelpool.worker.jobs;

import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * Passes on the first result of each (job id, request id) and drops the rest, so that at-least-once redeliveries
 * do not count twice. Runs before the repartition by job id: results are keyed by request id, so every copy of a
 * request's result reaches the same task.
 *
 * <p>The ids seen live in a windowed store keyed by (job id, request id) with a retention: a copy whose record time
 * is within the retention of the first one's is a duplicate. Old segments are dropped whole, so the store holds at
 * most one retention's worth of ids however long a job runs; a copy arriving later than that counts again. This is
 * the deduplication pattern of the Kafka Streams examples ({@code EventDeduplicationLambdaIntegrationTest} in
 * confluentinc/kafka-streams-examples).
 */
final class ResultDeduplicator implements ProcessorSupplier<String, GenericRecord, String, JobEvent> {

    static final String STORE = "job-result-ids";

    private final Duration retention;

    ResultDeduplicator(Duration retention) {
        this.retention = retention;
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
        return Set.of(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(STORE, retention, retention, false), Serdes.String(), Serdes.Long()));
    }

    @Override
    public Processor<String, GenericRecord, String, JobEvent> get() {
        return new Processor<>() {
            private ProcessorContext<String, JobEvent> context;
            private WindowStore<String, Long> seen;

            @Override
            public void init(ProcessorContext<String, JobEvent> context) {
                this.context = context;
                this.seen = context.getStateStore(STORE);
            }

            @Override
            public void process(Record<String, GenericRecord> record) {
                if (record.value() == null) {
                    return;
                }
                JobEvent.Answered answer = ResultProjection.answer(record.value(), record.timestamp());
                if (answer == null) {
                    return;
                }
                String key = key(answer.jobId(), answer.requestId());
                long t = record.timestamp();
                Instant from = Instant.ofEpochMilli(Math.max(0, t - retention.toMillis()));
                Instant to = Instant.ofEpochMilli(t + retention.toMillis());
                try (WindowStoreIterator<Long> copies = seen.fetch(key, from, to)) {
                    if (copies.hasNext()) {
                        return;
                    }
                }
                seen.put(key, t, t);
                context.forward(new Record<>(answer.jobId(), answer, t));
            }
        };
    }

    /** Length-prefixed, so no pair of ids maps to the key of another pair. */
    static String key(String jobId, String requestId) {
        return jobId.length() + ":" + jobId + requestId;
    }
}
