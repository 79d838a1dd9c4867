package io.modelpool.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What an {@link EmbedJob} did.
 *
 * @param jobId the job's id
 * @param output the JSONL file written
 * @param inputs inputs in the file
 * @param requests requests they made
 * @param succeeded inputs written with a vector
 * @param failed inputs written with an error
 * @param failuresByCode failed inputs per error code, sorted by code
 * @param truncated inputs embedded after being cut to the model's maximum sequence length
 * @param tokens tokens the model saw for the inputs written with a vector, special tokens included
 * @param missing inputs with no line in the output (only after a timeout or a stop)
 * @param duplicatesIgnored results that arrived again for a request already answered
 * @param elapsed from start to end, counting pass included
 * @param outcome how the job ended
 */
public record EmbedSummary(
        String jobId,
        Path output,
        long inputs,
        long requests,
        long succeeded,
        long failed,
        Map<String, Long> failuresByCode,
        long truncated,
        long tokens,
        long missing,
        long duplicatesIgnored,
        Duration elapsed,
        Outcome outcome) {

    /** How a job ended. */
    public enum Outcome {
        /** Every input has a line in the output. */
        COMPLETED,
        /** No result arrived for the configured timeout; {@link #missing()} inputs have none. */
        TIMED_OUT,
        /** {@link EmbedJob#stop()} was called before every input had a result. */
        STOPPED
    }

    public EmbedSummary {
        failuresByCode = Map.copyOf(new TreeMap<>(failuresByCode));
    }

    /** {@link ExitCodes#OK}, {@link ExitCodes#SOME_INPUTS_FAILED} or {@link ExitCodes#COULD_NOT_RUN}. */
    public int exitCode() {
        if (outcome != Outcome.COMPLETED) {
            return ExitCodes.COULD_NOT_RUN;
        }
        return failed > 0 ? ExitCodes.SOME_INPUTS_FAILED : ExitCodes.OK;
    }

    /** Inputs answered (succeeded or failed) per second of elapsed time. */
    public double inputsPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds > 0 ? (succeeded + failed) / seconds : 0;
    }

    /**
     * The summary a user reads at the end of a run: two lines (three with ignored duplicates) when the job ran to its
     * end or timed out, one line when it was stopped (Ctrl-C).
     */
    public String describe() {
        if (outcome == Outcome.STOPPED) {
            return String.format(
                    Locale.ROOT,
                    "Stopped after %.1f s: wrote %d of %d lines to %s (%d ok, %d failed); "
                            + "%d inputs have no result; run the same command with --resume to continue.%n",
                    elapsed.toMillis() / 1000.0,
                    succeeded + failed,
                    inputs,
                    output,
                    succeeded,
                    failed,
                    missing);
        }
        StringBuilder text = new StringBuilder();
        text.append(String.format(
                Locale.ROOT,
                "Job %s: %d inputs in %d requests, %d ok, %d failed",
                jobId,
                inputs,
                requests,
                succeeded,
                failed));
        if (!failuresByCode.isEmpty()) {
            text.append(" (");
            failuresByCode.forEach(
                    (code, count) -> text.append(code).append(' ').append(count).append(", "));
            text.setLength(text.length() - 2);
            text.append(')');
        }
        text.append(String.format(
                Locale.ROOT,
                ", %d truncated, %d tokens, in %.1f s (%.1f inputs/s)%n",
                truncated,
                tokens,
                elapsed.toMillis() / 1000.0,
                inputsPerSecond()));
        if (duplicatesIgnored > 0) {
            text.append(String.format(Locale.ROOT, "Ignored %d duplicate results.%n", duplicatesIgnored));
        }
        if (outcome == Outcome.COMPLETED) {
            text.append(String.format(Locale.ROOT, "Wrote %d lines to %s%n", succeeded + failed, output));
        } else {
            text.append(String.format(
                    Locale.ROOT,
                    "Timed out: %d of %d inputs have no result. %s holds the first %d inputs; --resume continues.%n",
                    missing,
                    inputs,
                    output,
                    succeeded + failed));
        }
        return text.toString();
    }
}
