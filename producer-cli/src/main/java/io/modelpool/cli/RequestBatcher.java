package io.modelpool.cli;

import io.modelpool.cli.input.InputReader;
import io.modelpool.cli.input.InputRecord;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Groups a stream of inputs into requests of up to {@code textsPerRequest} texts, and names them.
 *
 * <p>An input's id is the file's id field when it has one, otherwise {@code <jobId>-<n>}, where n is its
 * line number (its record number in CSV). A request of one text takes that input's id; a request of
 * several takes {@code <jobId>-<first n>-<last n>}.
 * Not thread-safe.
 */
final class RequestBatcher {
    private final InputReader reader;
    private final String jobId;
    private final int textsPerRequest;

    RequestBatcher(InputReader reader, String jobId, int textsPerRequest) {
        this.reader = reader;
        this.jobId = jobId;
        this.textsPerRequest = textsPerRequest;
    }

    /** The number of requests {@code inputs} inputs make. */
    static long requestCount(long inputs, int textsPerRequest) {
        return (inputs + textsPerRequest - 1) / textsPerRequest;
    }

    /** The next request, or {@code null} when the input is exhausted. */
    PlannedRequest next() throws IOException {
        List<String> ids = new ArrayList<>(textsPerRequest);
        List<String> texts = new ArrayList<>(textsPerRequest);
        long firstLine = 0;
        long lastLine = 0;
        InputRecord record;
        while (texts.size() < textsPerRequest && (record = reader.next()) != null) {
            if (texts.isEmpty()) {
                firstLine = record.number();
            }
            lastLine = record.number();
            ids.add(record.id() != null ? record.id() : jobId + "-" + record.number());
            texts.add(record.text());
        }
        if (texts.isEmpty()) {
            return null;
        }
        String requestId =
                texts.size() == 1 && textsPerRequest == 1 ? ids.get(0) : jobId + "-" + firstLine + "-" + lastLine;
        return new PlannedRequest(requestId, ids, texts, firstLine);
    }
}
