package io.modelpool.schemas;

import io.modelpool.v1.Capability;
import io.modelpool.v1.ErrorCode;
import io.modelpool.v1.ResultError;
import io.modelpool.v1.ResultStatus;
import io.modelpool.v1.Timings;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericRecord;

/**
 * The envelope every result record carries, whatever its capability: request id, job id, model, status, error,
 * timings and worker id ({@link #FIELDS}, with the same schema in every result). Code that reads results it did not
 * build, without knowing their capability (the job tracker, reading every result topic), reads them through here and
 * never looks up result fields by name itself.
 *
 * @param jobId     null when the request belongs to no job
 * @param errorCode null when {@code status} is OK
 */
public record ResultEnvelope(String requestId, String jobId, String model, ResultStatus status, ErrorCode errorCode) {

    /** Every envelope field, by name, with the schema it has in every result record. */
    public static final Map<String, Schema> FIELDS = fields();

    /** The fields {@link #readerSchema} keeps. */
    private static final List<String> READ = List.of("requestId", "jobId", "model", "status", "error");

    public ResultEnvelope {
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(status, "status");
    }

    /**
     * The capability's result schema cut to the envelope's request id, job id, model, status and error: the same full
     * name, so Avro resolves any writer's result to it and skips the payload (vectors, images, text) instead of
     * materialising it.
     */
    public static Schema readerSchema(Capability capability) {
        Schema full = Contract.resultSchema(capability);
        List<Schema.Field> fields = full.getFields().stream()
                .filter(f -> READ.contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema()))
                .toList();
        if (fields.size() != READ.size()) {
            throw new IllegalStateException(full.getFullName() + " lacks one of the envelope fields " + READ);
        }
        return Schema.createRecord(full.getName(), full.getDoc(), full.getNamespace(), false, fields);
    }

    /** The envelope of a result decoded with {@link #readerSchema} (or with its full schema). */
    public static ResultEnvelope of(GenericRecord result) {
        Object jobId = result.get("jobId");
        Object model = result.get("model");
        ResultStatus status = ResultStatus.valueOf(String.valueOf(result.get("status")));
        ErrorCode code = null;
        if (status != ResultStatus.OK) {
            Object error = result.get("error");
            Object name = error instanceof GenericRecord e ? e.get("code") : null;
            code = errorCode(name);
        }
        return new ResultEnvelope(
                String.valueOf(result.get("requestId")),
                jobId == null ? null : jobId.toString(),
                model == null ? null : model.toString(),
                status,
                code);
    }

    /** The code named {@code name}; UNKNOWN for none, or for a symbol newer than this reader, as the schema says. */
    private static ErrorCode errorCode(Object name) {
        for (ErrorCode code : ErrorCode.values()) {
            if (name != null && code.name().equals(name.toString())) {
                return code;
            }
        }
        return ErrorCode.UNKNOWN;
    }

    private static Map<String, Schema> fields() {
        Schema string = Schema.create(Schema.Type.STRING);
        Schema nullable = Schema.create(Schema.Type.NULL);
        return Map.of(
                "requestId", string,
                "jobId", Schema.createUnion(nullable, string),
                "model", string,
                "status", ResultStatus.getClassSchema(),
                "error", Schema.createUnion(nullable, ResultError.getClassSchema()),
                "timings", Timings.getClassSchema(),
                "workerId", string);
    }
}
