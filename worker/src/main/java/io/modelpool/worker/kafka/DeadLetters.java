package io.modelpool.worker.kafka;

import io.modelpool.v1.DeadLetter;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.HexFormat;

/**
 * Builds the {@link DeadLetter} envelopes of records that get no result, so that each one can be published whatever
 * the record it wraps.
 *
 * <p>Why a cap. The envelope wraps the original value, so a dead letter is larger than the record it stands for: the
 * dead letter of a record just under the broker's message limit is over the producer's {@code max.request.size}
 * and can never be published. A value over {@code dead-letter.max-value-bytes} is therefore left out, and the
 * envelope names its size and SHA-256 instead; together with the source topic, partition and offset that is enough
 * to find the record, or to match it against what a producer sent. {@link #minimal} goes further for the last
 * resort: no value and a short message, when even a capped dead letter could not be published.
 *
 * <p>Stateless apart from its settings; safe on any thread.
 */
final class DeadLetters {

    /** An error message longer than this is cut: a message is for people, and must not make an envelope large. */
    static final int MAX_MESSAGE_CHARS = 1024;

    /**
     * Bytes a dead letter takes besides the original key and value: the envelope's other fields (topic names, the
     * message, the worker id, the hash), its Confluent framing and the record's own headers and overhead. Generous,
     * so the start-up check errs on the safe side.
     */
    static final int ENVELOPE_OVERHEAD_BYTES = 8 * 1024;

    private final String workerId;
    private final int maxValueBytes;
    private final Clock clock;

    DeadLetters(String workerId, int maxValueBytes, Clock clock) {
        if (maxValueBytes < 0) {
            throw new IllegalArgumentException("maxValueBytes must not be negative, was " + maxValueBytes);
        }
        this.workerId = workerId;
        this.maxValueBytes = maxValueBytes;
        this.clock = clock;
    }

    /** The largest dead letter these settings can build for a request of at most {@code maxRequestBytes}. */
    static long largest(int maxValueBytes, int maxRequestBytes) {
        return (long) Math.min(maxValueBytes, maxRequestBytes) + ENVELOPE_OVERHEAD_BYTES;
    }

    /** The parts of a consumed record a dead letter names. */
    record Source(String topic, int partition, long offset, long timestampMs, byte[] key) {}

    /**
     * What a dead letter keeps of an original value: the bytes when they are within the cap, else only the size and
     * the hash. Taken at dispatch, so a record in flight holds at most the cap's worth of its request.
     */
    record Original(byte[] kept, int size, String sha256) {

        static final Original TOMBSTONE = new Original(null, -1, null);

        boolean tombstone() {
            return size < 0;
        }
    }

    /** What to keep of {@code value} (null for a tombstone). */
    Original keep(byte[] value) {
        if (value == null) {
            return Original.TOMBSTONE;
        }
        // Within the cap the bytes are kept and hashed only if a dead letter is built; over it, hashed now.
        return value.length <= maxValueBytes
                ? new Original(value, value.length, null)
                : new Original(null, value.length, sha256(value));
    }

    /** The envelope for a record that got no result: the original value within the cap, its size and hash. */
    DeadLetter of(Source source, Original original, String errorClass, String message) {
        String note = original.kept() == null && !original.tombstone()
                ? " (original value of " + original.size() + " bytes left out: over dead-letter.max-value-bytes="
                        + maxValueBytes + ")"
                : "";
        Original hashed = original.sha256() == null && original.kept() != null
                ? new Original(original.kept(), original.size(), sha256(original.kept()))
                : original;
        return envelope(source, hashed, original.kept(), errorClass, cut(message) + note);
    }

    /**
     * The last resort, after a dead letter could not be published: no original key or value, a short message, the
     * value's size and hash.
     */
    DeadLetter minimal(DeadLetter full, String why) {
        Original original = new Original(
                null,
                full.getOriginalValueSize() == null ? -1 : full.getOriginalValueSize(),
                full.getOriginalValueSha256());
        Source source = new Source(
                full.getSourceTopic(),
                full.getSourcePartition(),
                full.getSourceOffset(),
                full.getSourceTimestamp().toEpochMilli(),
                null);
        String message =
                cut(full.getErrorMessage(), 256) + "; the full dead letter could not be published: " + cut(why, 256);
        return envelope(source, original, null, full.getErrorClass(), message);
    }

    private DeadLetter envelope(Source source, Original original, byte[] value, String errorClass, String message) {
        return DeadLetter.newBuilder()
                .setSourceTopic(source.topic())
                .setSourcePartition(source.partition())
                .setSourceOffset(source.offset())
                .setSourceTimestamp(Instant.ofEpochMilli(Math.max(0, source.timestampMs())))
                .setOriginalKey(source.key() == null ? null : ByteBuffer.wrap(source.key()))
                .setOriginalValue(value == null ? null : ByteBuffer.wrap(value))
                .setOriginalValueSize(original.tombstone() ? null : original.size())
                .setOriginalValueSha256(original.sha256())
                .setErrorClass(errorClass)
                .setErrorMessage(message)
                .setWorkerId(workerId)
                .setDeadLetteredAt(clock.instant())
                .build();
    }

    static String cut(String message) {
        return cut(message, MAX_MESSAGE_CHARS);
    }

    private static String cut(String message, int max) {
        String m = String.valueOf(message);
        return m.length() <= max ? m : m.substring(0, max) + "...";
    }

    static String sha256(byte[] value) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(value));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
