package io.modelpool.worker.jobs;

import io.modelpool.schemas.Contract;
import io.modelpool.v1.Capability;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The part of a result the tracker reads. Every capability's result shares the top-level fields {@code requestId},
 * {@code jobId}, {@code status} and {@code error}; the tracker decodes results with a reader schema holding only
 * those, so Avro skips the payload (vectors, images, text) instead of materialising it for every result.
 */
final class ResultProjection {

    private static final Set<String> FIELDS = Set.of("requestId", "jobId", "status", "error");

    private ResultProjection() {
    }

    /** The capability's result schema cut to the shared fields; same full name, so Avro resolves writers to it. */
    static Schema readerSchema(Capability capability) {
        Schema full = Contract.resultSchema(capability);
        List<Schema.Field> fields = full.getFields().stream()
                .filter(f -> FIELDS.contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema()))
                .toList();
        if (fields.size() != FIELDS.size()) {
            throw new IllegalStateException(full.getFullName() + " lacks one of the shared result fields " + FIELDS);
        }
        return Schema.createRecord(full.getName(), full.getDoc(), full.getNamespace(), false, fields);
    }

    /**
     * The job event this result means, or null when the result belongs to no job.
     *
     * @param atMs the result record's timestamp
     */
    static JobEvent.Answered answer(GenericRecord result, long atMs) {
        Object jobId = result.get("jobId");
        if (jobId == null) {
            return null;
        }
        String code = null;
        if (!"OK".equals(String.valueOf(result.get("status")))) {
            Object error = result.get("error");
            code = error instanceof GenericRecord e && e.get("code") != null ? e.get("code").toString() : "UNKNOWN";
        }
        return new JobEvent.Answered(jobId.toString(), result.get("requestId").toString(), code, atMs);
    }
}
