package io.modelpool.cli.output;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import java.io.Closeable;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * Writes results as JSON Lines, one object per line:
 * <pre>
 * {"id":"job-1","vector":[0.1,...]}
 * {"id":"job-2","error":{"code":"EMPTY_INPUT","message":"..."}}
 * </pre>
 * A job id is added as {@code "jobId"} when one is given (the {@code results} command does this).
 *
 * <p>Files and streams are written as UTF-8 bytes by Jackson's byte generator, which encodes into its own buffer:
 * no {@code Writer} and no charset encoder between it and the file, so each of the 384 floats per text costs one
 * formatting and one copy.
 *
 * <p>Not thread-safe. Lines are buffered; {@link #flush()} or {@link #close()} pushes them out.
 */
public final class JsonlResultWriter implements Closeable, Flushable {
    /**
     * Floats are written with Jackson's Schubfach writer: the shortest decimal that reads back as the same float,
     * several times cheaper than JDK 17's {@code Float.toString}, which an embedding job calls 384 times per text.
     * A character outside the Basic Multilingual Plane is written as itself in UTF-8, as through a {@code Writer},
     * not as two escaped surrogates.
     */
    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
            .enable(JsonWriteFeature.COMBINE_UNICODE_SURROGATES_IN_UTF8)
            .build();

    private final JsonGenerator json;

    /** Writes characters to {@code out} (tests, and callers that already hold a {@code Writer}). */
    public JsonlResultWriter(Writer out) throws IOException {
        this(JSON.createGenerator(out));
    }

    /** Writes UTF-8 to {@code out}, buffered by the generator; {@link #close()} closes {@code out}. */
    public JsonlResultWriter(OutputStream out) throws IOException {
        this(JSON.createGenerator(out, JsonEncoding.UTF8));
    }

    private JsonlResultWriter(JsonGenerator json) {
        this.json = json;
        json.setRootValueSeparator(null); // each object ends with its own newline instead
    }

    /** Creates or replaces {@code file}. */
    public static JsonlResultWriter create(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return new JsonlResultWriter(Files.newOutputStream(file));
    }

    /** Appends to {@code file}, creating it when missing: a resumed job continues the lines an earlier run wrote. */
    public static JsonlResultWriter append(Path file) throws IOException {
        return new JsonlResultWriter(Files.newOutputStream(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    }

    /** Writes to a stream that this writer does not close (stdout). */
    public static JsonlResultWriter unclosed(OutputStream out) throws IOException {
        JsonlResultWriter writer = new JsonlResultWriter(out);
        writer.json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        return writer;
    }

    /** {@code {"id":..., ["jobId":...,] "vector":[...]}} */
    public void writeVector(String id, String jobId, List<Float> vector) throws IOException {
        start(id, jobId);
        json.writeFieldName("vector");
        writeFloats(vector);
        end();
    }

    /** {@code {"id":..., ["jobId":...,] "vectors":[[...], ...]}}, for a request that carried several texts. */
    public void writeVectors(String id, String jobId, List<? extends List<Float>> vectors) throws IOException {
        start(id, jobId);
        json.writeArrayFieldStart("vectors");
        for (List<Float> vector : vectors) {
            writeFloats(vector);
        }
        json.writeEndArray();
        end();
    }

    /** {@code {"id":..., ["jobId":...,] "error":{"code":..., "message":...}}} */
    public void writeError(String id, String jobId, String code, String message) throws IOException {
        start(id, jobId);
        json.writeObjectFieldStart("error");
        json.writeStringField("code", code);
        json.writeStringField("message", message);
        json.writeEndObject();
        end();
    }

    private void start(String id, String jobId) throws IOException {
        json.writeStartObject();
        json.writeStringField("id", id);
        if (jobId != null) {
            json.writeStringField("jobId", jobId);
        }
    }

    /** The same line as {@link #writeVector(String, String, List)}, from a primitive array. */
    public void writeVector(String id, String jobId, float[] vector) throws IOException {
        start(id, jobId);
        json.writeFieldName("vector");
        json.writeStartArray();
        for (float value : vector) {
            json.writeNumber(value);
        }
        json.writeEndArray();
        end();
    }

    private void writeFloats(List<Float> vector) throws IOException {
        json.writeStartArray();
        for (Float value : vector) {
            json.writeNumber(value.floatValue());
        }
        json.writeEndArray();
    }

    private void end() throws IOException {
        json.writeEndObject();
        json.writeRaw('\n');
    }

    @Override
    public void flush() throws IOException {
        json.flush();
    }

    @Override
    public void close() throws IOException {
        json.close();
    }
}
