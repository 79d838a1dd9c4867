package io.modelpool.worker.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites a dynamically quantised int8 ONNX model so that every token's activations are quantised on their own,
 * which makes a padded batch give each sequence bitwise the result it gets alone.
 *
 * <p><b>Why.</b> ONNX Runtime's dynamic quantisation ({@code DynamicQuantizeLinear} feeding {@code MatMulInteger},
 * as written by {@code onnxruntime.quantization.quantize_dynamic}) picks one scale and zero point for the whole
 * activation tensor. In a batch that range spans every sequence and the padding, so a text's vector depends on
 * its neighbours (about 4% drift on MiniLM).
 *
 * <p><b>What.</b> Each {@code DynamicQuantizeLinear(x)} becomes a symmetric uint8 quantisation per row of the
 * last axis (one row per token): {@code r = max|x| / 127} over the row, {@code q = QuantizeLinear(x * (127 /
 * max|x|), 1, 128)}. Each {@code MatMulInteger -> Cast -> Mul(a_scale * b_scale)} that consumed it becomes one
 * {@code com.microsoft.MatMulIntegerToFloat(q, B, r, b_scale, 128, b_zero_point)}: with a non-scalar A scale
 * that kernel multiplies its output by the broadcast row scale after the exact int32 accumulation, so each output
 * row depends only on its own input row. The bias {@code Add} after it is left alone.
 *
 * <p><b>The fusion it avoids.</b> Kept as {@code MatMulInteger -> Cast -> Mul}, ONNX Runtime's
 * MatMulIntegerToFloatFusion (at extended and all optimisation levels) also folds the following bias {@code Add}
 * into the fused node, which then scales the bias by the row scale: still batch-invariant, but wrong (cosine
 * about 0.6 against the float model). Writing the fused node without the bias keeps every other optimisation.
 *
 * <p>The weights, their scales and zero points are untouched. Per-token scales fit each token's range instead
 * of the whole tensor's, so the vectors come closer to the float model than the per-tensor original's.
 *
 * <p>The model is read and written with {@link ProtoWire}: only nodes, a few new initializers and the opset
 * imports change; everything else is copied byte for byte.
 */
public final class PerTokenQuantization {

    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET_IMPORT = 8;
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int NODE_INPUT = 1;
    private static final int NODE_OUTPUT = 2;
    private static final int NODE_NAME = 3;
    private static final int NODE_OP_TYPE = 4;
    private static final int NODE_ATTRIBUTE = 5;
    private static final int NODE_DOMAIN = 7;
    private static final int ATTR_NAME = 1;
    private static final int ATTR_I = 3;
    private static final int ATTR_INTS = 8;
    private static final int ATTR_TYPE = 20;
    private static final int ATTR_TYPE_INT = 2;
    private static final int ATTR_TYPE_INTS = 7;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int FLOAT = 1;
    private static final int UINT8 = 2;
    private static final int INT64 = 7;

    private static final String MS_DOMAIN = "com.microsoft";
    private static final String PREFIX = "per_token_quantization/";
    private static final String C127 = PREFIX + "127";
    private static final String ONE = PREFIX + "one";
    private static final String ZERO_POINT = PREFIX + "zero_point_128";
    private static final String LAST_AXIS = PREFIX + "last_axis";

    private PerTokenQuantization() {
    }

    /** What a rewrite changed, for the load log line. */
    public record Result(byte[] model, int quantizations, int matMuls) {
    }

    /**
     * Rewrites {@code model} (a serialised ONNX ModelProto).
     *
     * @throws IllegalArgumentException when the bytes are not an ONNX model, the model has no
     *                                  {@code DynamicQuantizeLinear}, or one of them feeds something other than
     *                                  the {@code MatMulInteger -> Cast -> Mul} pattern this rewrite understands;
     *                                  the message names the node
     */
    public static Result rewrite(byte[] model) {
        List<ProtoWire.Field> modelFields = ProtoWire.parse(model, 0, model.length);
        ProtoWire.Field graphField = null;
        long defaultOpset = -1;
        boolean hasMsDomain = false;
        for (ProtoWire.Field f : modelFields) {
            if (f.number() == MODEL_GRAPH && f.wireType() == ProtoWire.LEN) {
                graphField = f;
            } else if (f.number() == MODEL_OPSET_IMPORT && f.wireType() == ProtoWire.LEN) {
                String domain = "";
                long version = 0;
                for (ProtoWire.Field o : f.message()) {
                    if (o.number() == OPSET_DOMAIN) {
                        domain = o.string();
                    } else if (o.number() == OPSET_VERSION) {
                        version = o.value();
                    }
                }
                if (domain.isEmpty() || domain.equals("ai.onnx")) {
                    defaultOpset = version;
                } else if (domain.equals(MS_DOMAIN)) {
                    hasMsDomain = true;
                }
            }
        }
        if (graphField == null) {
            throw new IllegalArgumentException("not an ONNX model: no graph");
        }
        if (defaultOpset < 10) {
            throw new IllegalArgumentException("per-token quantization needs ONNX opset 10 or later (QuantizeLinear);"
                    + " the model imports opset " + defaultOpset);
        }

        List<ProtoWire.Field> graphFields = graphField.message();
        List<Node> nodes = new ArrayList<>();
        for (ProtoWire.Field f : graphFields) {
            if (f.number() == GRAPH_NODE) {
                nodes.add(Node.read(f));
            }
        }
        Rewrite rewrite = new Rewrite(nodes, defaultOpset >= 18);
        List<Node> rewritten = rewrite.apply();

        ProtoWire.Writer graph = new ProtoWire.Writer(graphField.length() + 4096);
        for (Node n : rewritten) {
            graph.message(GRAPH_NODE, n.write());
        }
        for (ProtoWire.Field f : graphFields) {
            if (f.number() != GRAPH_NODE) {
                graph.field(f);
            }
        }
        graph.message(GRAPH_INITIALIZER, scalar(C127, FLOAT, floatBytes(127f)));
        graph.message(GRAPH_INITIALIZER, scalar(ONE, FLOAT, floatBytes(1f)));
        graph.message(GRAPH_INITIALIZER, scalar(ZERO_POINT, UINT8, new byte[] {(byte) 128}));
        if (rewrite.axesAsInput) {
            graph.message(GRAPH_INITIALIZER, new ProtoWire.Writer()
                    .varint(TENSOR_DIMS, 1)
                    .varint(TENSOR_DATA_TYPE, INT64)
                    .string(TENSOR_NAME, LAST_AXIS)
                    .bytes(TENSOR_RAW_DATA, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1L).array()));
        }
        byte[] graphBytes = graph.toByteArray();

        ProtoWire.Writer out = new ProtoWire.Writer(graphBytes.length + 4096);
        for (ProtoWire.Field f : modelFields) {
            if (f == graphField) {
                out.bytes(MODEL_GRAPH, graphBytes);
            } else {
                out.field(f);
            }
        }
        if (!hasMsDomain) {
            out.message(MODEL_OPSET_IMPORT, new ProtoWire.Writer().string(OPSET_DOMAIN, MS_DOMAIN).varint(OPSET_VERSION, 1));
        }
        return new Result(out.toByteArray(), rewrite.quantizations, rewrite.matMuls);
    }

    private static ProtoWire.Writer scalar(String name, int dataType, byte[] raw) {
        return new ProtoWire.Writer().varint(TENSOR_DATA_TYPE, dataType).string(TENSOR_NAME, name).bytes(TENSOR_RAW_DATA, raw);
    }

    private static byte[] floatBytes(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    /** The node-level rewrite: finds each quantisation and the matrix products it feeds, then re-emits the graph. */
    private static final class Rewrite {

        private final List<Node> nodes;
        private final boolean axesAsInput;
        private final Map<String, Node> producers = new HashMap<>();
        private final Map<String, List<Node>> consumers = new HashMap<>();
        private final Map<Node, List<Node>> replacements = new HashMap<>();
        private final Set<Node> removed = new HashSet<>();
        int quantizations;
        int matMuls;

        Rewrite(List<Node> nodes, boolean axesAsInput) {
            this.nodes = nodes;
            this.axesAsInput = axesAsInput;
            for (Node n : nodes) {
                for (String o : n.outputs) {
                    producers.put(o, n);
                }
                for (String i : n.inputs) {
                    consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
                }
            }
        }

        List<Node> apply() {
            for (Node n : nodes) {
                if (n.opType.equals("DynamicQuantizeLinear") && n.domain.isEmpty()) {
                    quantize(n);
                }
            }
            if (quantizations == 0) {
                throw new IllegalArgumentException("the model has no DynamicQuantizeLinear node; per-token"
                        + " quantization applies to dynamically quantized int8 models");
            }
            List<Node> out = new ArrayList<>();
            for (Node n : nodes) {
                List<Node> replacement = replacements.get(n);
                if (replacement != null) {
                    out.addAll(replacement);
                } else if (!removed.contains(n)) {
                    out.add(n);
                }
            }
            return out;
        }

        private void quantize(Node dql) {
            if (dql.inputs.size() != 1 || dql.outputs.size() != 3) {
                throw unexpected(dql, "has " + dql.inputs.size() + " inputs and " + dql.outputs.size() + " outputs");
            }
            String x = dql.inputs.get(0);
            String q = dql.outputs.get(0);
            String scale = dql.outputs.get(1);
            String zeroPoint = dql.outputs.get(2);
            String p = PREFIX + quantizations + "/";
            Node reduce = axesAsInput
                    ? new Node(p + "ReduceMax", "ReduceMax", List.of(p + "abs", LAST_AXIS), List.of(p + "max"))
                    : new Node(p + "ReduceMax", "ReduceMax", List.of(p + "abs"), List.of(p + "max"))
                            .ints("axes", -1L);
            reduce.integer("keepdims", 1);
            List<Node> emitted = new ArrayList<>(List.of(
                    new Node(p + "Abs", "Abs", List.of(x), List.of(p + "abs")),
                    reduce,
                    new Node(p + "RowScale", "Div", List.of(p + "max", C127), List.of(scale)),
                    new Node(p + "InverseScale", "Div", List.of(C127, p + "max"), List.of(p + "inverse")),
                    new Node(p + "Scaled", "Mul", List.of(x, p + "inverse"), List.of(p + "scaled")),
                    new Node(p + "QuantizeLinear", "QuantizeLinear", List.of(p + "scaled", ONE, ZERO_POINT), List.of(q))));
            replacements.put(dql, emitted);
            quantizations++;

            Set<Node> handledScaleMuls = new HashSet<>();
            for (Node mmi : consumers.getOrDefault(q, List.of())) {
                if (!mmi.opType.equals("MatMulInteger") || mmi.inputs.size() != 4 || !mmi.inputs.get(0).equals(q)
                        || !mmi.inputs.get(2).equals(zeroPoint)) {
                    throw unexpected(mmi, "takes " + dql.name + "'s quantized output but is not MatMulInteger(q, B,"
                            + " zero_point, B_zero_point)");
                }
                Node cast = only(mmi, "Cast");
                Node mul = only(cast, "Mul");
                String product = mul.inputs.get(0).equals(cast.outputs.get(0)) ? mul.inputs.get(1) : mul.inputs.get(0);
                Node scaleMul = producers.get(product);
                if (scaleMul == null || !scaleMul.opType.equals("Mul") || !scaleMul.inputs.contains(scale)) {
                    throw unexpected(mul, "does not multiply by " + dql.name + "'s scale times the weight scale");
                }
                String weightScale = scaleMul.inputs.get(0).equals(scale) ? scaleMul.inputs.get(1) : scaleMul.inputs.get(0);
                Node fused = new Node(PREFIX + "MatMul" + matMuls, "MatMulIntegerToFloat",
                        List.of(q, mmi.inputs.get(1), scale, weightScale, ZERO_POINT, mmi.inputs.get(3)),
                        List.of(mul.outputs.get(0)));
                fused.domain = MS_DOMAIN;
                replacements.put(mul, List.of(fused));
                removed.add(mmi);
                removed.add(cast);
                handledScaleMuls.add(scaleMul);
                matMuls++;
            }
            for (Node n : consumers.getOrDefault(zeroPoint, List.of())) {
                if (!n.opType.equals("MatMulInteger")) {
                    throw unexpected(n, "uses " + dql.name + "'s zero point outside a MatMulInteger");
                }
            }
            for (Node n : consumers.getOrDefault(scale, List.of())) {
                if (!handledScaleMuls.contains(n)) {
                    throw unexpected(n, "uses " + dql.name + "'s scale outside the MatMulInteger dequantization");
                }
                if (consumers.getOrDefault(n.outputs.get(0), List.of()).size() != 1) {
                    throw unexpected(n, "feeds more than one dequantization");
                }
                removed.add(n);
            }
        }

        private Node only(Node producer, String opType) {
            List<Node> next = consumers.getOrDefault(producer.outputs.get(0), List.of());
            if (next.size() != 1 || !next.get(0).opType.equals(opType)) {
                throw unexpected(producer, "is not followed by exactly one " + opType);
            }
            return next.get(0);
        }

        private static IllegalArgumentException unexpected(Node n, String what) {
            return new IllegalArgumentException("per-token quantization cannot rewrite node '" + n.name + "' ("
                    + n.opType + "): it " + what);
        }
    }

    /** A NodeProto: the fields the rewrite reads, and the rest (attributes, doc string) as read. */
    private static final class Node {

        final String name;
        final String opType;
        final List<String> inputs;
        final List<String> outputs;
        String domain = "";
        final List<ProtoWire.Field> others = new ArrayList<>();
        final List<ProtoWire.Writer> attributes = new ArrayList<>();

        Node(String name, String opType, List<String> inputs, List<String> outputs) {
            this.name = name;
            this.opType = opType;
            this.inputs = inputs;
            this.outputs = outputs;
        }

        static Node read(ProtoWire.Field field) {
            String name = "";
            String opType = "";
            String domain = "";
            List<String> inputs = new ArrayList<>();
            List<String> outputs = new ArrayList<>();
            List<ProtoWire.Field> others = new ArrayList<>();
            for (ProtoWire.Field f : field.message()) {
                switch (f.number()) {
                    case NODE_INPUT -> inputs.add(f.string());
                    case NODE_OUTPUT -> outputs.add(f.string());
                    case NODE_NAME -> name = f.string();
                    case NODE_OP_TYPE -> opType = f.string();
                    case NODE_DOMAIN -> domain = f.string();
                    default -> others.add(f);
                }
            }
            Node n = new Node(name, opType, inputs, outputs);
            n.domain = domain.equals("ai.onnx") ? "" : domain;
            n.others.addAll(others);
            return n;
        }

        Node ints(String attribute, long... values) {
            ProtoWire.Writer a = new ProtoWire.Writer().string(ATTR_NAME, attribute);
            for (long v : values) {
                a.varint(ATTR_INTS, v);
            }
            attributes.add(a.varint(ATTR_TYPE, ATTR_TYPE_INTS));
            return this;
        }

        Node integer(String attribute, long value) {
            attributes.add(new ProtoWire.Writer().string(ATTR_NAME, attribute).varint(ATTR_I, value)
                    .varint(ATTR_TYPE, ATTR_TYPE_INT));
            return this;
        }

        ProtoWire.Writer write() {
            ProtoWire.Writer w = new ProtoWire.Writer();
            for (String i : inputs) {
                w.string(NODE_INPUT, i);
            }
            for (String o : outputs) {
                w.string(NODE_OUTPUT, o);
            }
            w.string(NODE_NAME, name);
            w.string(NODE_OP_TYPE, opType);
            for (ProtoWire.Writer a : attributes) {
                w.message(NODE_ATTRIBUTE, a);
            }
            for (ProtoWire.Field f : others) {
                w.field(f);
            }
            if (!domain.isEmpty()) {
                w.string(NODE_DOMAIN, domain);
            }
            return w;
        }
    }
}
