package io.modelpool.cli;

import java.time.Duration;
import java.util.Locale;

/**
 * What a {@link SubmitJob} did.
 *
 * @param jobId the job's id, to follow with {@code modelpool results --job-id}
 * @param inputs inputs in the file
 * @param requests requests produced and acknowledged by Kafka
 * @param rejected requests Kafka refused (larger than it accepts)
 * @param elapsed from start to the last acknowledgement
 */
public record SubmitSummary(String jobId, long inputs, long requests, long rejected, Duration elapsed) {

    /** {@link ExitCodes#OK}, or {@link ExitCodes#SOME_INPUTS_FAILED} when some requests were rejected. */
    public int exitCode() {
        return rejected > 0 ? ExitCodes.SOME_INPUTS_FAILED : ExitCodes.OK;
    }

    /** One line for the user. */
    public String describe() {
        double seconds = Math.max(elapsed.toNanos() / 1e9, 1e-9);
        return String.format(
                Locale.ROOT,
                "Submitted job %s: %d inputs in %d requests%s, in %.1f s (%.1f inputs/s)%n",
                jobId,
                inputs,
                requests,
                rejected > 0 ? ", " + rejected + " rejected by Kafka" : "",
                elapsed.toMillis() / 1000.0,
                inputs / seconds);
    }
}
