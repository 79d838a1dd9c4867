package io.modelpool.worker.kafka;

import java.time.Duration;

/**
 * Settings the loop needs; built from {@code WorkerConfig} by the worker.
 *
 * @param publishLinger longest a computed outcome waits for others while more work is computing
 *                      ({@link PublishGate}); zero publishes each at once
 * @param publishMaxRecords outcomes that leave together at most, whatever the linger
 * @param workBudgetShare share of the drain timeout the estimated work in flight may fill; 0 counts no work
 * @param maxInFlightBytes request bytes the pools may hold at most ({@link Admission})
 * @param interactiveReserve what interactive records may take beyond the admission bounds
 */
public record IntakeSettings(
        String workerId,
        String topicPrefix,
        int maxRequestBytes,
        int deadLetterMaxValueBytes,
        int permanentFailureAttempts,
        int highWater,
        int lowWater,
        Duration pollTimeout,
        Duration commitInterval,
        Duration retryBackoff,
        Duration retryBackoffMax,
        Duration drainTimeout,
        Duration closeTimeout,
        boolean leaveGroupOnClose,
        boolean exactlyOnce,
        Duration transactionInterval,
        int transactionMaxRecords,
        Duration publishLinger,
        int publishMaxRecords,
        double workBudgetShare,
        long maxInFlightBytes,
        InteractiveReserve interactiveReserve) {

    /** Settings with the {@linkplain InteractiveReserve#DEFAULT default interactive reserve}. */
    public IntakeSettings(String workerId, String topicPrefix, int maxRequestBytes, int deadLetterMaxValueBytes,
            int permanentFailureAttempts, int highWater, int lowWater, Duration pollTimeout, Duration commitInterval,
            Duration retryBackoff, Duration retryBackoffMax, Duration drainTimeout, Duration closeTimeout,
            boolean leaveGroupOnClose, boolean exactlyOnce, Duration transactionInterval, int transactionMaxRecords,
            Duration publishLinger, int publishMaxRecords, double workBudgetShare, long maxInFlightBytes) {
        this(workerId, topicPrefix, maxRequestBytes, deadLetterMaxValueBytes, permanentFailureAttempts, highWater,
                lowWater, pollTimeout, commitInterval, retryBackoff, retryBackoffMax, drainTimeout, closeTimeout,
                leaveGroupOnClose, exactlyOnce, transactionInterval, transactionMaxRecords, publishLinger,
                publishMaxRecords, workBudgetShare, maxInFlightBytes, InteractiveReserve.DEFAULT);
    }
}
