package io.modelpool.worker.jobs;

import io.modelpool.v1.Capability;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Binary form of {@link JobEvent} on the tracker's internal repartition topic. Internal topics are read only by the
 * same topology, so a compact format with a leading version byte is enough and keeps the registry out of the
 * per-result path: {@code version(1) tag(1)} then, for a registration, {@code jobId capability model expected
 * submitter submittedAt} (tag 3 adds {@code expiresAt}, the completion window's end), for an answer
 * {@code jobId requestId errorCode('' when OK) at}, for a cancel (tag 4) {@code jobId requestedBy requestedAt}.
 * Strings are length-prefixed UTF-8. New tags, not a new version, so that events written before an upgrade still
 * read.
 */
final class JobEventSerde implements Serde<JobEvent> {

    static final byte VERSION = 1;
    private static final byte REGISTERED = 1;
    private static final byte ANSWERED = 2;
    private static final byte REGISTERED_WITH_WINDOW = 3;
    private static final byte CANCELLED = 4;
    /** Ids, model keys and submitters are short; anything longer is a corrupt record, not a job. */
    private static final int MAX_STRING_BYTES = 64 * 1024;

    @Override
    public Serializer<JobEvent> serializer() {
        return (topic, event) -> event == null ? null : write(event);
    }

    @Override
    public Deserializer<JobEvent> deserializer() {
        return (topic, bytes) -> bytes == null ? null : read(bytes);
    }

    static byte[] write(JobEvent event) {
        ByteArrayOutputStream buffer = new ByteArrayOutputStream(64);
        try (DataOutputStream out = new DataOutputStream(buffer)) {
            out.writeByte(VERSION);
            if (event instanceof JobEvent.Registered r) {
                out.writeByte(r.hasWindow() ? REGISTERED_WITH_WINDOW : REGISTERED);
                writeString(out, r.jobId());
                writeString(out, r.capability().name());
                writeString(out, r.model());
                out.writeLong(r.expectedCount());
                writeString(out, r.submitter());
                out.writeLong(r.submittedAtMs());
                if (r.hasWindow()) {
                    out.writeLong(r.expiresAtMs());
                }
            } else if (event instanceof JobEvent.Cancelled c) {
                out.writeByte(CANCELLED);
                writeString(out, c.jobId());
                writeString(out, c.requestedBy());
                out.writeLong(c.requestedAtMs());
            } else if (event instanceof JobEvent.Answered a) {
                out.writeByte(ANSWERED);
                writeString(out, a.jobId());
                writeString(out, a.requestId());
                writeString(out, a.errorCode() == null ? "" : a.errorCode());
                out.writeLong(a.atMs());
            }
        } catch (IOException e) {
            throw new SerializationException("cannot encode job event for job " + event.jobId(), e);
        }
        return buffer.toByteArray();
    }

    static JobEvent read(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte version = in.readByte();
            if (version != VERSION) {
                throw new SerializationException("job event of version " + version + "; this tracker reads " + VERSION);
            }
            byte tag = in.readByte();
            return switch (tag) {
                case REGISTERED ->
                    new JobEvent.Registered(
                            readString(in),
                            Capability.valueOf(readString(in)),
                            readString(in),
                            in.readLong(),
                            readString(in),
                            in.readLong());
                case REGISTERED_WITH_WINDOW ->
                    new JobEvent.Registered(
                            readString(in),
                            Capability.valueOf(readString(in)),
                            readString(in),
                            in.readLong(),
                            readString(in),
                            in.readLong(),
                            in.readLong());
                case CANCELLED -> new JobEvent.Cancelled(readString(in), readString(in), in.readLong());
                case ANSWERED -> {
                    String jobId = readString(in);
                    String requestId = readString(in);
                    String code = readString(in);
                    yield new JobEvent.Answered(jobId, requestId, code.isEmpty() ? null : code, in.readLong());
                }
                default -> throw new SerializationException("job event with unknown tag " + tag);
            };
        } catch (IOException | IllegalArgumentException e) {
            throw new SerializationException("corrupt job event of " + bytes.length + " bytes", e);
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        if (utf8.length > MAX_STRING_BYTES) {
            throw new SerializationException(
                    "job event string of " + utf8.length + " bytes exceeds " + MAX_STRING_BYTES);
        }
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_STRING_BYTES) {
            throw new SerializationException("job event string length " + length + " out of range");
        }
        byte[] utf8 = in.readNBytes(length);
        if (utf8.length != length) {
            throw new SerializationException("job event truncated");
        }
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
