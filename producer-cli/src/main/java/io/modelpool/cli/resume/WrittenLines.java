package io.modelpool.cli.resume;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads back the JSON lines an earlier run wrote, one at a time, with the byte offset where each ends. Only whole
 * lines count: a last line without its newline (the run was killed while writing it) or a line that is not a JSON
 * object starting with {@code "id"} ends the file. A missing file reads as empty.
 *
 * <p>Not thread-safe.
 */
final class WrittenLines implements Closeable {
    private static final JsonFactory JSON = new JsonFactory();
    private static final int NEWLINE = '\n';

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
    private long consumed;
    private long read;
    private String nextId;
    private boolean nextIsError;
    private String nextErrorCode;
    private long nextEnd;
    private boolean ended;

    private WrittenLines(InputStream in) {
        this.in = in;
    }

    static WrittenLines open(Path file) throws IOException {
        if (file == null || !Files.exists(file)) {
            return new WrittenLines(InputStream.nullInputStream());
        }
        return new WrittenLines(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
    }

    /** The id of the next whole line, or {@code null} at the end. */
    String peekId() throws IOException {
        if (nextId == null && !ended) {
            readLine();
        }
        return nextId;
    }

    /** Whether the next line is an error line rather than a vector; only after {@link #peekId()} returned an id. */
    boolean peekIsError() {
        return nextIsError;
    }

    /** The error code of the next line when {@link #peekIsError()}, {@code "UNKNOWN"} when the line names none. */
    String peekErrorCode() {
        return nextErrorCode;
    }

    /** Moves past the line {@link #peekId()} returned. */
    void advance() {
        consumed = nextEnd;
        nextId = null;
    }

    /** The byte offset after the last line moved past. */
    long position() {
        return consumed;
    }

    private void readLine() throws IOException {
        line.reset();
        int b;
        while ((b = in.read()) != -1 && b != NEWLINE) {
            line.write(b);
        }
        if (b == -1) {
            ended = true;
            return;
        }
        byte[] bytes = line.toByteArray();
        read += bytes.length + 1;
        try (JsonParser parser = JSON.createParser(bytes)) {
            if (parser.nextToken() != JsonToken.START_OBJECT
                    || !"id".equals(parser.nextFieldName())
                    || parser.nextToken() != JsonToken.VALUE_STRING) {
                ended = true;
                return;
            }
            String id = parser.getText();
            String field = parser.nextFieldName();
            if ("jobId".equals(field)) {
                parser.nextToken();
                field = parser.nextFieldName();
            }
            nextIsError = "error".equals(field);
            nextErrorCode = nextIsError ? errorCode(parser) : null;
            nextId = id;
            nextEnd = read;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            // A line cut by the kill or otherwise damaged: everything from here is written again.
            ended = true;
        }
    }

    private static String errorCode(JsonParser parser) throws IOException {
        if (parser.nextToken() == JsonToken.START_OBJECT
                && "code".equals(parser.nextFieldName())
                && parser.nextToken() == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        return "UNKNOWN";
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
