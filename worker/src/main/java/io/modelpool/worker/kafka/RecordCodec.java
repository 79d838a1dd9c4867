package io.modelpool.worker.kafka;

import java.util.concurrent.CompletableFuture;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;

/**
 * Turns request bytes into Avro records and result records into bytes, in the Confluent wire format. The intake
 * consumes raw bytes and decodes here, on its own thread, so that one undecodable record never makes
 * {@code poll()} throw and never blocks a partition.
 *
 * <p>Called on the intake thread only, except where a method says otherwise.
 */
public interface RecordCodec {

    /**
     * Makes sure that decoding {@code value} will not wait on a remote dependency. Returns a future that is already
     * complete when {@link #decode} can answer from what the codec holds (the writer schema is cached, its id is
     * known to be unknown, the bytes are not a framed value at all); otherwise it starts the lookup of the writer
     * schema on another thread, at a bounded rate, and the future completes when the lookup has an answer: normally
     * when the schema was found or the registry said it has no such id (then {@code decode} answers at once),
     * exceptionally with a {@link DependencyUnavailableException} when the registry could not be reached (prepare
     * again later). Never blocks. The default, for codecs without a remote dependency, is always complete.
     */
    default CompletableFuture<Void> prepare(String topic, byte[] value) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Decodes a request read from {@code topic}.
     *
     * @throws DependencyUnavailableException when the schema registry cannot be reached (the record may be good;
     *         the caller retries later and must not dead-letter it)
     * @throws SerializationException when the bytes are not a valid request for this topic (the caller
     *         dead-letters the record)
     */
    SpecificRecord decode(String topic, Headers headers, byte[] value);

    /**
     * Encodes a record to publish on {@code topic}, registering its schema if the configuration allows.
     *
     * @throws DependencyUnavailableException when the schema registry cannot be reached
     * @throws SerializationException when the registry refuses the schema (for example as incompatible)
     */
    byte[] encode(String topic, Headers headers, SpecificRecord value);

    /** A dependency (the schema registry) did not answer; the operation may succeed later. */
    final class DependencyUnavailableException extends RuntimeException {
        public DependencyUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
