package io.modelpool.worker.kafka;

import io.modelpool.worker.config.WorkerConfig;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings the intake needs: {@link #from(WorkerConfig, String)} for a worker, {@link #builder()} (every setting
 * named, none positional) for tests and embedders. Immutable.
 */
public final class IntakeSettings {
    private final String workerId;
    private final String topicPrefix;
    private final int maxRequestBytes;
    private final int deadLetterMaxValueBytes;
    private final int permanentFailureAttempts;
    private final int highWater;
    private final int lowWater;
    private final Duration pollTimeout;
    private final Duration commitInterval;
    private final Duration retryBackoff;
    private final Duration retryBackoffMax;
    private final Duration drainTimeout;
    private final Duration closeTimeout;
    private final boolean leaveGroupOnClose;
    private final Guarantee guarantee;
    private final Duration transactionInterval;
    private final int transactionMaxRecords;
    private final Duration publishLinger;
    private final int publishMaxRecords;
    private final double workBudgetShare;
    private final long maxInFlightBytes;
    private final InteractiveReserve interactiveReserve;

    private IntakeSettings(Builder b) {
        this.workerId = Objects.requireNonNull(b.workerId, "workerId");
        this.topicPrefix = Objects.requireNonNull(b.topicPrefix, "topicPrefix");
        this.maxRequestBytes = b.maxRequestBytes;
        this.deadLetterMaxValueBytes = b.deadLetterMaxValueBytes;
        this.permanentFailureAttempts = b.permanentFailureAttempts;
        this.highWater = b.highWater;
        this.lowWater = b.lowWater;
        this.pollTimeout = Objects.requireNonNull(b.pollTimeout, "pollTimeout");
        this.commitInterval = Objects.requireNonNull(b.commitInterval, "commitInterval");
        this.retryBackoff = Objects.requireNonNull(b.retryBackoff, "retryBackoff");
        this.retryBackoffMax = Objects.requireNonNull(b.retryBackoffMax, "retryBackoffMax");
        this.drainTimeout = Objects.requireNonNull(b.drainTimeout, "drainTimeout");
        this.closeTimeout = Objects.requireNonNull(b.closeTimeout, "closeTimeout");
        this.leaveGroupOnClose = b.leaveGroupOnClose;
        this.guarantee = b.guarantee;
        this.transactionInterval = Objects.requireNonNull(b.transactionInterval, "transactionInterval");
        this.transactionMaxRecords = b.transactionMaxRecords;
        this.publishLinger = Objects.requireNonNull(b.publishLinger, "publishLinger");
        this.publishMaxRecords = b.publishMaxRecords;
        this.workBudgetShare = b.workBudgetShare;
        this.maxInFlightBytes = b.maxInFlightBytes;
        this.interactiveReserve = Objects.requireNonNull(b.interactiveReserve, "interactiveReserve");
        if (lowWater > highWater) {
            throw new IllegalArgumentException("lowWater " + lowWater + " is above highWater " + highWater);
        }
    }

    /** The settings of a worker with this configuration and id. */
    public static IntakeSettings from(WorkerConfig c, String workerId) {
        return builder()
                .workerId(workerId)
                .topicPrefix(c.topicPrefix())
                .maxRequestBytes(c.maxRequestBytes())
                .deadLetterMaxValueBytes(c.deadLetterMaxValueBytes())
                .permanentFailureAttempts(c.publishPermanentFailureAttempts())
                .highWater(c.highWater())
                .lowWater(c.lowWater())
                .pollTimeout(c.pollTimeout())
                .commitInterval(c.commitInterval())
                .retryBackoff(c.retryBackoff())
                .retryBackoffMax(c.retryBackoffMax())
                .drainTimeout(c.drainTimeout())
                .closeTimeout(c.closeTimeout())
                .leaveGroupOnClose(c.leaveGroupOnClose())
                .guarantee(Guarantee.ofConfigName(c.processingGuarantee()))
                .transactionInterval(c.transactionInterval())
                .transactionMaxRecords(c.transactionMaxRecords())
                .publishLinger(c.publishLinger())
                .publishMaxRecords(c.publishMaxRecords())
                .workBudgetShare(c.workBudgetShare())
                .maxInFlightBytes(c.maxInFlightBytes())
                .interactiveReserve(new InteractiveReserve(c.interactiveReserve(), c.interactiveReserveShare()))
                .build();
    }

    /**
     * A builder with nothing set: every String and Duration must be set before {@link Builder#build()}; the work
     * budget's share, the byte bound and the interactive reserve start at the worker's defaults (0.5, 64 MiB and
     * {@link InteractiveReserve#DEFAULT}).
     */
    public static Builder builder() {
        return new Builder();
    }

    /** This worker's id: results' {@code workerId}, dead letters' and the transactional id's stem. */
    public String workerId() {
        return workerId;
    }

    /** The topic prefix ({@code topic.prefix}). */
    public String topicPrefix() {
        return topicPrefix;
    }

    /** A request record's value above this is dead-lettered undecoded. */
    public int maxRequestBytes() {
        return maxRequestBytes;
    }

    /** What a dead letter keeps of the value at most. */
    public int deadLetterMaxValueBytes() {
        return deadLetterMaxValueBytes;
    }

    /** Sends of one outcome that fail permanently before a smaller one replaces it. */
    public int permanentFailureAttempts() {
        return permanentFailureAttempts;
    }

    /** Records in flight at which intake pauses. */
    public int highWater() {
        return highWater;
    }

    /** Records in flight at which it resumes. */
    public int lowWater() {
        return lowWater;
    }

    /** Longest one poll waits. */
    public Duration pollTimeout() {
        return pollTimeout;
    }

    /** At least once: how often offsets are committed. */
    public Duration commitInterval() {
        return commitInterval;
    }

    /** First backoff after a dependency failure. */
    public Duration retryBackoff() {
        return retryBackoff;
    }

    /** Longest backoff. */
    public Duration retryBackoffMax() {
        return retryBackoffMax;
    }

    /** How long shutdown waits for work in flight. */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** What the steps after the drain may take in all. */
    public Duration closeTimeout() {
        return closeTimeout;
    }

    /** Whether closing the consumer leaves the group at once. */
    public boolean leaveGroupOnClose() {
        return leaveGroupOnClose;
    }

    /** The processing guarantee, which chooses the {@link Delivery}. */
    public Guarantee guarantee() {
        return guarantee;
    }

    /** Exactly once: longest a transaction stays open. */
    public Duration transactionInterval() {
        return transactionInterval;
    }

    /** Exactly once: outcomes per transaction at most. */
    public int transactionMaxRecords() {
        return transactionMaxRecords;
    }

    /** Longest a computed outcome waits for others while more work is computing ({@link PublishGate}); zero publishes each at once. */
    public Duration publishLinger() {
        return publishLinger;
    }

    /** Outcomes that leave together at most, whatever the linger. */
    public int publishMaxRecords() {
        return publishMaxRecords;
    }

    /** Share of the drain timeout the estimated work in flight may fill; 0 counts no work ({@link Admission}). */
    public double workBudgetShare() {
        return workBudgetShare;
    }

    /** Request bytes the pools may hold at most ({@link Admission}). */
    public long maxInFlightBytes() {
        return maxInFlightBytes;
    }

    /** What interactive records may take beyond the admission bounds. */
    public InteractiveReserve interactiveReserve() {
        return interactiveReserve;
    }

    /** Sets each setting by name. Not thread-safe. */
    public static final class Builder {
        private String workerId;
        private String topicPrefix;
        private int maxRequestBytes;
        private int deadLetterMaxValueBytes;
        private int permanentFailureAttempts;
        private int highWater;
        private int lowWater;
        private Duration pollTimeout;
        private Duration commitInterval;
        private Duration retryBackoff;
        private Duration retryBackoffMax;
        private Duration drainTimeout;
        private Duration closeTimeout;
        private boolean leaveGroupOnClose;
        private Guarantee guarantee = Guarantee.AT_LEAST_ONCE;
        private Duration transactionInterval;
        private int transactionMaxRecords;
        private Duration publishLinger;
        private int publishMaxRecords;
        private double workBudgetShare = 0.5;
        private long maxInFlightBytes = 64L * 1024 * 1024;
        private InteractiveReserve interactiveReserve = InteractiveReserve.DEFAULT;

        private Builder() {}

        public Builder workerId(String workerId) {
            this.workerId = workerId;
            return this;
        }

        public Builder topicPrefix(String topicPrefix) {
            this.topicPrefix = topicPrefix;
            return this;
        }

        public Builder maxRequestBytes(int maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        public Builder deadLetterMaxValueBytes(int deadLetterMaxValueBytes) {
            this.deadLetterMaxValueBytes = deadLetterMaxValueBytes;
            return this;
        }

        public Builder permanentFailureAttempts(int permanentFailureAttempts) {
            this.permanentFailureAttempts = permanentFailureAttempts;
            return this;
        }

        public Builder highWater(int highWater) {
            this.highWater = highWater;
            return this;
        }

        public Builder lowWater(int lowWater) {
            this.lowWater = lowWater;
            return this;
        }

        public Builder pollTimeout(Duration pollTimeout) {
            this.pollTimeout = pollTimeout;
            return this;
        }

        public Builder commitInterval(Duration commitInterval) {
            this.commitInterval = commitInterval;
            return this;
        }

        public Builder retryBackoff(Duration retryBackoff) {
            this.retryBackoff = retryBackoff;
            return this;
        }

        public Builder retryBackoffMax(Duration retryBackoffMax) {
            this.retryBackoffMax = retryBackoffMax;
            return this;
        }

        public Builder drainTimeout(Duration drainTimeout) {
            this.drainTimeout = drainTimeout;
            return this;
        }

        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = closeTimeout;
            return this;
        }

        public Builder leaveGroupOnClose(boolean leaveGroupOnClose) {
            this.leaveGroupOnClose = leaveGroupOnClose;
            return this;
        }

        public Builder guarantee(Guarantee guarantee) {
            this.guarantee = Objects.requireNonNull(guarantee, "guarantee");
            return this;
        }

        public Builder transactionInterval(Duration transactionInterval) {
            this.transactionInterval = transactionInterval;
            return this;
        }

        public Builder transactionMaxRecords(int transactionMaxRecords) {
            this.transactionMaxRecords = transactionMaxRecords;
            return this;
        }

        public Builder publishLinger(Duration publishLinger) {
            this.publishLinger = publishLinger;
            return this;
        }

        public Builder publishMaxRecords(int publishMaxRecords) {
            this.publishMaxRecords = publishMaxRecords;
            return this;
        }

        public Builder workBudgetShare(double workBudgetShare) {
            this.workBudgetShare = workBudgetShare;
            return this;
        }

        public Builder maxInFlightBytes(long maxInFlightBytes) {
            this.maxInFlightBytes = maxInFlightBytes;
            return this;
        }

        public Builder interactiveReserve(InteractiveReserve interactiveReserve) {
            this.interactiveReserve = interactiveReserve;
            return this;
        }

        public IntakeSettings build() {
            return new IntakeSettings(this);
        }
    }
}
