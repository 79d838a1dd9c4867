package io.modelpool.worker.kafka;

/**
 * Room that only interactive records (those read from a request topic, not from its {@code .bulk} sibling) may take
 * beyond {@link Admission}'s bounds, so an interactive request is admitted even while bulk work fills the admission
 * budget: it never waits in Kafka behind the high-water mark that a batch job keeps reached.
 *
 * @param records records beyond {@code backpressure.high-water} ({@code backpressure.interactive-reserve})
 * @param share   share of {@code shutdown.drain-timeout-ms} beyond the work budget
 *                ({@code backpressure.interactive-reserve-share}); with the work budget's share it stays at most 1,
 *                so what is in flight can still finish inside the drain
 */
public record InteractiveReserve(int records, double share) {

    /** 64 records and a fifth of the drain timeout. */
    public static final InteractiveReserve DEFAULT = new InteractiveReserve(64, 0.2);

    public InteractiveReserve {
        if (records < 0) {
            throw new IllegalArgumentException("the interactive reserve must be >= 0 records, got " + records);
        }
        if (!(share >= 0 && share <= 1)) {
            throw new IllegalArgumentException(
                    "the interactive reserve's share of the drain must be in [0, 1], got " + share);
        }
    }
}
