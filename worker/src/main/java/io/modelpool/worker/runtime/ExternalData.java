package io.modelpool.worker.runtime;

import io.modelpool.worker.runtime.ProtoWire.Field;
import java.util.List;
import java.util.Optional;

/**
 * Finds tensors an ONNX model keeps outside its own file ("external data": {@code onnx.save(...,
 * save_as_external_data=True)}, and every export over 2 GB). The worker opens sessions on the model's bytes, with no
 * directory to resolve such files against, so ONNX Runtime would fail on them with an error about a model path; this
 * check names the tensor and the file instead.
 *
 * <p>Reads the protobuf wire format with {@link ProtoWire}, without a schema library: {@code ModelProto.graph} (7), in every graph
 * its {@code initializer}s (5) and the nodes' (1) attributes (5) holding tensors ({@code t} 5, {@code tensors} 10)
 * or subgraphs ({@code g} 6, {@code graphs} 11, as the branches of an If), and per tensor its {@code name} (8),
 * {@code external_data} (13, key/value entries) and {@code data_location} (14, 1 = EXTERNAL). Weight bytes are skipped,
 * not read. Stateless and thread-safe.
 */
public final class ExternalData {

    private ExternalData() {}

    /** A tensor stored outside the model file, and the file the model names for it (empty when it names none). */
    public record Reference(String tensor, String location) {}

    /** The first tensor of {@code model} kept in external data, if any; malformed bytes are left to ONNX Runtime. */
    public static Optional<Reference> find(byte[] model) {
        try {
            return Optional.ofNullable(message(ProtoWire.parse(model, 0, model.length), Kind.MODEL));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private enum Kind {
        MODEL,
        GRAPH,
        NODE,
        ATTRIBUTE
    }

    /** Walks the fields of one message of {@code kind} and returns the first external tensor inside. */
    private static Reference message(List<Field> fields, Kind kind) {
        for (Field f : fields) {
            if (f.wireType() != ProtoWire.LEN) {
                continue;
            }
            int n = f.number();
            Reference found = switch (kind) {
                case MODEL -> n == 7 ? message(f.message(), Kind.GRAPH) : null;
                case GRAPH -> n == 5 ? tensor(f.message()) : n == 1 ? message(f.message(), Kind.NODE) : null;
                case NODE -> n == 5 ? message(f.message(), Kind.ATTRIBUTE) : null;
                case ATTRIBUTE ->
                    n == 5 || n == 10
                            ? tensor(f.message())
                            : n == 6 || n == 11 ? message(f.message(), Kind.GRAPH) : null;
            };
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    /** The tensor when it is external, else null. */
    private static Reference tensor(List<Field> fields) {
        String name = "";
        String location = "";
        boolean external = false;
        for (Field f : fields) {
            if (f.number() == 14 && f.wireType() == ProtoWire.VARINT) {
                external = f.value() == 1;
            } else if (f.number() == 8 && f.wireType() == ProtoWire.LEN) {
                name = f.string();
            } else if (f.number() == 13 && f.wireType() == ProtoWire.LEN) {
                external = true;
                String key = "";
                String value = "";
                for (Field entry : f.message()) { // a StringStringEntryProto: key (1) and value (2)
                    if (entry.wireType() == ProtoWire.LEN && entry.number() == 1) {
                        key = entry.string();
                    } else if (entry.wireType() == ProtoWire.LEN && entry.number() == 2) {
                        value = entry.string();
                    }
                }
                if ("location".equals(key)) {
                    location = value;
                }
            }
        }
        return external ? new Reference(name, location) : null;
    }
}
