package io.modelpool.cli.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.header.Headers;

/**
 * Produces a job's records through one idempotent, batching producer ({@code acks=all}).
 *
 * <p>{@link #send} is asynchronous: the record is batched by the producer ({@code linger.ms},
 * {@code batch.size}) and retried by it until {@code delivery.timeout.ms}. A delivery that finally fails
 * is reported through {@link #takeFailures()} on the caller's thread, so the caller never sees a
 * callback thread. {@link #sendAndWait} is for the one record that must be acknowledged before anything
 * else is produced (the job registration).
 *
 * <p>One thread calls every method; the producer's I/O thread only adds to the failure queue, which
 * holds at most one entry per record sent.
 */
public final class RequestSender implements AutoCloseable {

    /** A record Kafka did not accept, identified by the caller's sequence number and the record's key. */
    public record Failure(long sequence, String key, Exception cause) {
        /** True when the failure is this record's own (too large); anything else concerns every record. */
        public boolean recordAtFault() {
            return cause instanceof RecordTooLargeException;
        }
    }

    private final Producer<String, SpecificRecord> producer;
    private final Queue<Failure> failures = new ConcurrentLinkedQueue<>();

    public RequestSender(Producer<String, SpecificRecord> producer) {
        this.producer = producer;
    }

    /**
     * Hands a record to the producer. May block while the producer's buffer is full or its metadata is
     * missing (at most {@code max.block.ms}).
     *
     * @throws KafkaException when the record cannot even be queued (serialization, registry, timeout)
     */
    public void send(String topic, String key, SpecificRecord value, long sequence) {
        send(topic, key, value, sequence, null);
    }

    /** {@link #send(String, String, SpecificRecord, long)} with record headers ({@code null}: none). */
    public void send(String topic, String key, SpecificRecord value, long sequence, Headers headers) {
        producer.send(new ProducerRecord<>(topic, null, key, value, headers), (metadata, error) -> {
            if (error != null) {
                failures.add(new Failure(sequence, key, error));
            }
        });
    }

    /**
     * Produces one record and waits for Kafka to acknowledge it.
     *
     * @throws KafkaException when it is not acknowledged within {@code timeout}
     * @throws InterruptedException when the calling thread is interrupted while waiting
     */
    public void sendAndWait(String topic, String key, SpecificRecord value, Duration timeout)
            throws InterruptedException {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KafkaException k ? k : new KafkaException(e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException(
                    "no acknowledgement for " + topic + " within " + timeout.toMillis() + " ms", e);
        }
    }

    /** Deliveries that failed since the last call, oldest first. */
    public List<Failure> takeFailures() {
        List<Failure> taken = new ArrayList<>();
        Failure failure;
        while ((failure = failures.poll()) != null) {
            taken.add(failure);
        }
        return taken;
    }

    /** Sends everything batched and waits for it to be acknowledged or failed. */
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
