package io.modelpool.worker.jobs;

import io.modelpool.schemas.ResultEnvelope;
import io.modelpool.v1.Capability;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The part of a result the tracker reads: its envelope ({@link ResultEnvelope}), the fields every capability's
 * result shares. The tracker decodes results with the envelope's reader schema, so Avro skips the payload
 * (vectors, images, text) instead of materialising it for every result.
 */
final class ResultProjection {

    private ResultProjection() {}

    /** The capability's result schema cut to the envelope; see {@link ResultEnvelope#readerSchema}. */
    static Schema readerSchema(Capability capability) {
        return ResultEnvelope.readerSchema(capability);
    }

    /**
     * The job event this result means, or null when the result belongs to no job.
     *
     * @param atMs the result record's timestamp
     */
    static JobEvent.Answered answer(GenericRecord result, long atMs) {
        ResultEnvelope envelope = ResultEnvelope.of(result);
        if (envelope.jobId() == null) {
            return null;
        }
        return new JobEvent.Answered(
                envelope.jobId(),
                envelope.requestId(),
                envelope.errorCode() == null ? null : envelope.errorCode().name(),
                atMs);
    }
}
