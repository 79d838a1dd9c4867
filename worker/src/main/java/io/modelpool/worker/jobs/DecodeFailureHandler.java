package io.modelpool.worker.jobs;

import io.modelpool.schemas.serde.UndecodableRecordException;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Skips records that can never be decoded (corrupt bytes, wrong magic byte, a schema id the registry does not
 * know): the worker dead-letters such requests, and a corrupt result must not stop every job's tracking. Any other
 * failure, such as the registry being unreachable, fails the stream thread, so that no result is skipped for a
 * passing outage; {@link JobTracker} replaces the thread a bounded number of times.
 */
public final class DecodeFailureHandler implements DeserializationExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(DecodeFailureHandler.class);

    @Override
    public Response handleError(
            ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
        if (exception instanceof UndecodableRecordException) {
            log.warn(
                    "Job tracker skips undecodable record {}-{}@{}: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    exception.getMessage());
            return Response.resume();
        }
        return Response.fail();
    }

    @Override
    public void configure(Map<String, ?> configs) {
        // no settings
    }
}
