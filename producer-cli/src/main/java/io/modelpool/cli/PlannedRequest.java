package io.modelpool.cli;

import java.util.List;

/**
 * One request to produce, made of consecutive inputs.
 *
 * @param requestId the request's id, unique within the job
 * @param inputIds the id each input is written under in the output, in input order
 * @param texts the inputs' texts, in the same order
 * @param firstLine the line (CSV: record) number of the first input, for messages
 */
record PlannedRequest(String requestId, List<String> inputIds, List<String> texts, long firstLine) {
    PlannedRequest {
        inputIds = List.copyOf(inputIds);
        texts = List.copyOf(texts);
        if (inputIds.size() != texts.size() || texts.isEmpty()) {
            throw new IllegalArgumentException("a request needs one id per text and at least one text");
        }
    }

    int size() {
        return texts.size();
    }
}
