package io.modelpool.cli.resume;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The part of a job's output that an earlier, interrupted run wrote completely, request by request.
 *
 * <p>An embed run writes each input's line in input order, to the output (vectors, and errors when there is no
 * errors file) or to the errors file, so the two files together hold a prefix of the inputs, whatever was buffered
 * when the run died. The caller offers the job's requests in order through {@link #take(List)}; a request counts as
 * written when every one of its inputs is the next line of one of the two files. The first request that is not
 * ends the prefix. {@link #truncate()} then cuts both files after the prefix (dropping a line cut in half, and the
 * lines of a request written only in part), so a resumed run appends exactly what the interrupted one had not.
 *
 * <p>Not thread-safe.
 */
public final class WrittenPrefix implements Closeable {
    private final Path output;
    private final Path errors;
    private final WrittenLines outputLines;
    private final WrittenLines errorLines;
    private long outputKeep;
    private long errorsKeep;
    private long requests;
    private long inputs;
    private final Map<String, Long> failuresByCode = new TreeMap<>();
    private boolean ended;

    private WrittenPrefix(Path output, Path errors) throws IOException {
        this.output = output;
        this.errors = errors;
        this.outputLines = WrittenLines.open(output);
        this.errorLines = WrittenLines.open(errors);
    }

    /**
     * Reads back what an earlier run wrote.
     *
     * @param output the output file; missing reads as empty
     * @param errors the errors file, or {@code null} when failures went to the output
     */
    public static WrittenPrefix open(Path output, Path errors) throws IOException {
        return new WrittenPrefix(output, errors);
    }

    /**
     * Offers the next request of the job, by its inputs' ids in order.
     *
     * @return true when all of them are written (the prefix grows by this request); false when not, and for every
     *     request after the first false
     */
    public boolean take(List<String> inputIds) throws IOException {
        if (ended) {
            return false;
        }
        Map<String, Long> failedHere = new TreeMap<>();
        for (String id : inputIds) {
            if (id.equals(outputLines.peekId())) {
                if (outputLines.peekIsError()) {
                    failedHere.merge(outputLines.peekErrorCode(), 1L, Long::sum);
                }
                outputLines.advance();
            } else if (id.equals(errorLines.peekId())) {
                failedHere.merge(errorLines.peekIsError() ? errorLines.peekErrorCode() : "UNKNOWN", 1L, Long::sum);
                errorLines.advance();
            } else {
                ended = true;
                return false;
            }
        }
        outputKeep = outputLines.position();
        errorsKeep = errorLines.position();
        requests++;
        inputs += inputIds.size();
        failedHere.forEach((code, n) -> failuresByCode.merge(code, n, Long::sum));
        return true;
    }

    /** Requests of the prefix. */
    public long requests() {
        return requests;
    }

    /** Inputs of the prefix. */
    public long inputs() {
        return inputs;
    }

    /** Inputs of the prefix written with an error, per error code. */
    public Map<String, Long> failuresByCode() {
        return Map.copyOf(failuresByCode);
    }

    /** Cuts the output and errors files after the prefix; a missing file is created empty. */
    public void truncate() throws IOException {
        close();
        cut(output, outputKeep);
        if (errors != null) {
            cut(errors, errorsKeep);
        }
    }

    private static void cut(Path file, long length) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            channel.truncate(length);
        }
        if (Files.size(file) != length) {
            throw new IOException("could not cut " + file + " to " + length + " bytes");
        }
    }

    @Override
    public void close() throws IOException {
        ended = true;
        try {
            outputLines.close();
        } finally {
            errorLines.close();
        }
    }
}
