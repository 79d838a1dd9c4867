package io.modelpool.worker.capability.vision;

import io.modelpool.v1.ErrorCode;
import java.util.List;

/** What the OCR runner produced for one page. */
public sealed interface OcrOutcome {

    /** The lines read, in reading order; empty when the page has no text. */
    record Read(List<OcrLine> lines) implements OcrOutcome {}

    /** The page could not be read as an image (CORRUPT_IMAGE); no inference was spent on it. */
    record Refused(ErrorCode code, String message) implements OcrOutcome {}

    /** The request's deadline had passed when the batch started. */
    record Expired(long deadlineEpochMs) implements OcrOutcome {}
}
