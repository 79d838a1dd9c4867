package io.modelpool.worker.runtime;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Finds tensors an ONNX model keeps outside its own file ("external data": {@code onnx.save(...,
 * save_as_external_data=True)}, and every export over 2 GB). The worker opens sessions on the model's bytes, with no
 * directory to resolve such files against, so ONNX Runtime would fail on them with an error about a model path; this
 * check names the tensor and the file instead.
 *
 * <p>Reads the protobuf wire format directly, without a schema library: {@code ModelProto.graph} (7), in every graph
 * its {@code initializer}s (5) and the nodes' (1) attributes (5) holding tensors ({@code t} 5, {@code tensors} 10)
 * or subgraphs ({@code g} 6, {@code graphs} 11, as the branches of an If), and per tensor its {@code name} (8),
 * {@code external_data} (13, key/value entries) and {@code data_location} (14, 1 = EXTERNAL). Weight bytes are skipped,
 * not read. Stateless and thread-safe.
 */
public final class ExternalData {

    private static final int LEN = 2;
    private static final int VARINT = 0;

    private ExternalData() {
    }

    /** A tensor stored outside the model file, and the file the model names for it (empty when it names none). */
    public record Reference(String tensor, String location) {
    }

    /** The first tensor of {@code model} kept in external data, if any; malformed bytes are left to ONNX Runtime. */
    public static Optional<Reference> find(byte[] model) {
        try {
            return Optional.ofNullable(message(model, 0, model.length, Kind.MODEL));
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private enum Kind { MODEL, GRAPH, NODE, ATTRIBUTE }

    /** Walks one message of {@code kind} in {@code [from, to)} and returns the first external tensor inside. */
    private static Reference message(byte[] b, int from, int to, Kind kind) {
        int[] at = {from};
        while (at[0] < to) {
            long key = varint(b, at);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire != LEN) {
                skip(b, at, wire);
                continue;
            }
            int length = Math.toIntExact(varint(b, at));
            int start = at[0];
            int end = start + length;
            if (end > to || length < 0) {
                throw new IllegalArgumentException("truncated field");
            }
            Reference found = null;
            switch (kind) {
                case MODEL -> found = field == 7 ? message(b, start, end, Kind.GRAPH) : null;
                case GRAPH -> found = field == 5 ? tensor(b, start, end)
                        : field == 1 ? message(b, start, end, Kind.NODE) : null;
                case NODE -> found = field == 5 ? message(b, start, end, Kind.ATTRIBUTE) : null;
                case ATTRIBUTE -> found = field == 5 || field == 10 ? tensor(b, start, end)
                        : field == 6 || field == 11 ? message(b, start, end, Kind.GRAPH) : null;
                default -> throw new IllegalStateException(kind.name());
            }
            if (found != null) {
                return found;
            }
            at[0] = end;
        }
        return null;
    }

    /** The tensor in {@code [from, to)} when it is external, else null. */
    private static Reference tensor(byte[] b, int from, int to) {
        int[] at = {from};
        String name = "";
        String location = "";
        boolean external = false;
        while (at[0] < to) {
            long key = varint(b, at);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 14 && wire == VARINT) {
                external = varint(b, at) == 1;
            } else if (wire == LEN) {
                int length = Math.toIntExact(varint(b, at));
                int start = at[0];
                at[0] = start + length;
                if (at[0] > to || length < 0) {
                    throw new IllegalArgumentException("truncated field");
                }
                if (field == 8) {
                    name = new String(b, start, length, StandardCharsets.UTF_8);
                } else if (field == 13) {
                    external = true;
                    String[] entry = entry(b, start, start + length);
                    if ("location".equals(entry[0])) {
                        location = entry[1];
                    }
                }
            } else {
                skip(b, at, wire);
            }
        }
        return external ? new Reference(name, location) : null;
    }

    /** A StringStringEntryProto: key (1) and value (2). */
    private static String[] entry(byte[] b, int from, int to) {
        String[] kv = {"", ""};
        int[] at = {from};
        while (at[0] < to) {
            long key = varint(b, at);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire != LEN) {
                skip(b, at, wire);
                continue;
            }
            int length = Math.toIntExact(varint(b, at));
            if (field == 1 || field == 2) {
                kv[field - 1] = new String(b, at[0], length, StandardCharsets.UTF_8);
            }
            at[0] += length;
        }
        return kv;
    }

    private static void skip(byte[] b, int[] at, int wire) {
        switch (wire) {
            case VARINT -> varint(b, at);
            case 1 -> at[0] += 8;
            case 5 -> at[0] += 4;
            case LEN -> at[0] += Math.toIntExact(varint(b, at));
            default -> throw new IllegalArgumentException("wire type " + wire);
        }
    }

    private static long varint(byte[] b, int[] at) {
        long value = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            byte next = b[at[0]++];
            value |= (long) (next & 0x7f) << shift;
            if (next >= 0) {
                return value;
            }
        }
        throw new IllegalArgumentException("varint too long");
    }
}
