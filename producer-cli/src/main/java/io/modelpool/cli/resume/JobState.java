package io.modelpool.cli.resume;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What {@code embed --resume} needs to continue a job that an earlier run started: a small JSON file next to the
 * output, {@code <output>.modelpool-job}, written before the first request is produced and removed when every input
 * has its line.
 *
 * <p>It names the job (its id is part of the default input ids and of every request), how the job cut its inputs
 * into requests, and where the request and result topics ended before the job produced anything: a resumed run reads
 * the request topic from there to learn which requests Kafka already holds, and the result topic from there to see
 * every answer the job ever got.
 *
 * @param jobId the job's id
 * @param model the model's registry key
 * @param inputType documents or queries, as the enum's name
 * @param textsPerRequest inputs per request
 * @param errors the errors file the job writes failures to, or {@code null} when they go to the output
 * @param requestTopic the topic the job's requests went to (its bulk request topic, or the request topic on a fleet
 *                     without one); {@code null} in state files written before it was recorded, whose jobs went to
 *                     the request topic
 * @param requestOffsets the request topic's end offset per partition before the job produced
 * @param resultOffsets the result topic's end offset per partition before the job produced
 */
public record JobState(
        String jobId,
        String model,
        String inputType,
        int textsPerRequest,
        String errors,
        String requestTopic,
        Map<Integer, Long> requestOffsets,
        Map<Integer, Long> resultOffsets) {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String SUFFIX = ".modelpool-job";

    public JobState {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(inputType, "inputType");
        requestOffsets = Map.copyOf(new TreeMap<>(requestOffsets));
        resultOffsets = Map.copyOf(new TreeMap<>(resultOffsets));
    }

    /** The state file of the job writing {@code output}. */
    public static Path fileFor(Path output) {
        return output.resolveSibling(output.getFileName() + SUFFIX);
    }

    /**
     * Writes the state next to {@code output}, atomically (a temporary file moved into place), so that a run killed
     * while writing it leaves either no state or the whole state.
     */
    public void write(Path output) throws IOException {
        Path file = fileFor(output);
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            JSON.writeValue(temporary.toFile(), this);
            Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /**
     * Reads the state of the job writing {@code output}.
     *
     * @throws NoSuchFileException when there is none (no job was started on that output, or it completed)
     * @throws IOException when it cannot be read or is not a job state
     */
    public static JobState read(Path output) throws IOException {
        Path file = fileFor(output);
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        try {
            return JSON.readValue(file.toFile(), JobState.class);
        } catch (JsonProcessingException e) {
            throw new IOException(file + " is not a modelpool job state: " + e.getMessage(), e);
        }
    }

    /** Removes the state of the job writing {@code output}, once the job has completed. */
    public static void delete(Path output) throws IOException {
        Files.deleteIfExists(fileFor(output));
    }
}
