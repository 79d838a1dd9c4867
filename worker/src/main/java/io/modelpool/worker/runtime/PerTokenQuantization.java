package io.modelpool.worker.runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
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
 * last axis (one row per token): {@code m = max|x|} over the row, then one per-axis
 * {@code com.microsoft.QuantizeLinear} of the rows ({@code x} flattened to [rows, width], a view) with the row's
 * scale {@code m / 127} and zero point 128. Each
 * {@code MatMulInteger -> Cast -> Mul(a_scale * b_scale)} that consumed it becomes one
 * {@code com.microsoft.MatMulIntegerToFloat(q, B, m, b_scale / 127, 128, b_zero_point)}: with a non-scalar A
 * scale that kernel multiplies its output by the broadcast row scale after the exact int32 accumulation, so each
 * output row depends only on its own input row. The per-axis quantisation reads {@code x} once where a division
 * by the row scale followed by a per-tensor one read it twice and wrote a float copy. The zero points (a vector of
 * 128s, one per row) are made once per run and shared: every quantised activation of an encoder has the same rows
 * (batch times sequence). The products give rows too, and the activations stay rows until a node needs the
 * batch and sequence axes ({@code RowStream}). The bias {@code Add} after each product stays a node of its own;
 * before an erf GELU its bias is made [1, width] so that ONNX Runtime keeps {@code Add} and {@code Gelu} apart
 * instead of fusing them into its slower {@code BiasGelu} kernel.
 *
 * <p><b>Attention.</b> ONNX Runtime does not fuse the attention of a graph whose Q, K and V come out of int8
 * products, so the rewrite does ({@code AttentionFusion}): each layer's bias adds, reshapes, transposes, scores,
 * mask and softmax become one {@code com.microsoft.MultiHeadAttention}, about twenty fewer nodes per layer. Each
 * other bias {@code Add} with the residual {@code Add} and the LayerNorm after it becomes one
 * {@code com.microsoft.SkipLayerNormalization} ({@code SkipNormFusion}), which adds both inside its pass over the
 * row.
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
 * imports change; everything else is copied byte for byte. Nodes left without a reader (the shape arithmetic
 * of a fused attention) are dropped.
 */
public final class PerTokenQuantization {

    // onnx.proto field numbers
    private static final int MODEL_GRAPH = 7;
    private static final int MODEL_OPSET_IMPORT = 8;
    private static final int OPSET_DOMAIN = 1;
    private static final int OPSET_VERSION = 2;
    private static final int GRAPH_NODE = 1;
    private static final int GRAPH_INITIALIZER = 5;
    private static final int GRAPH_INPUT = 11;
    private static final int GRAPH_OUTPUT = 12;
    private static final int ATTR_T = 5;
    private static final int VALUE_INFO_NAME = 1;
    private static final int TENSOR_INT64_DATA = 7;
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
    private static final int ATTR_F = 2;
    private static final int ATTR_TYPE_FLOAT = 1;
    private static final int ATTR_TYPE_INTS = 7;
    private static final int ATTR_TYPE_TENSOR = 4;
    private static final int TENSOR_DIMS = 1;
    private static final int TENSOR_DATA_TYPE = 2;
    private static final int TENSOR_NAME = 8;
    private static final int TENSOR_RAW_DATA = 9;
    private static final int FLOAT = 1;
    private static final int UINT8 = 2;
    private static final int INT64 = 7;

    private static final String MS_DOMAIN = "com.microsoft";
    private static final String PREFIX = "per_token_quantization/";
    private static final String INVERSE_127 = PREFIX + "inverse_127";
    private static final String ZERO_POINT = PREFIX + "zero_point_128";
    private static final String LAST_AXIS = PREFIX + "last_axis";
    private static final String MASK_INT32 = PREFIX + "attention_mask_int32";
    private static final String FLAT = PREFIX + "flat";
    private static final String ROW_ZERO_POINTS = PREFIX + "row_zero_points";
    private static final String ROW_COUNT = PREFIX + "row_count";
    private static final String ROWS_SHAPE = PREFIX + "rows_shape";
    private static final String START = PREFIX + "start";
    private static final int INT32 = 6;

    private PerTokenQuantization() {}

    /** What a rewrite changed, for the load log line: quantisations, int8 products and attentions fused. */
    public record Result(byte[] model, int quantizations, int matMuls, int attentions) {}

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
        if (defaultOpset < 11) {
            throw new IllegalArgumentException("per-token quantization needs ONNX opset 11 or later (Flatten on the"
                    + " last axis); the model imports opset " + defaultOpset);
        }

        List<ProtoWire.Field> graphFields = graphField.message();
        List<Node> nodes = new ArrayList<>();
        for (ProtoWire.Field f : graphFields) {
            if (f.number() == GRAPH_NODE) {
                nodes.add(Node.read(f));
            }
        }
        Rewrite rewrite = new Rewrite(nodes, defaultOpset);
        Set<String> graphInputs = new HashSet<>();
        Set<String> graphOutputs = new HashSet<>();
        for (ProtoWire.Field f : graphFields) {
            if (f.number() == GRAPH_INPUT || f.number() == GRAPH_OUTPUT) {
                for (ProtoWire.Field v : f.message()) {
                    if (v.number() == VALUE_INFO_NAME) {
                        (f.number() == GRAPH_INPUT ? graphInputs : graphOutputs).add(v.string());
                    }
                }
            }
        }
        AttentionFusion attention = new AttentionFusion(rewrite.apply(), graphInputs);
        List<Node> attended = attention.apply();
        SkipNormFusion skipNorms = new SkipNormFusion(attended);
        Map<String, Integer> ranks = new HashMap<>();
        for (ProtoWire.Field f : graphFields) {
            if (f.number() == GRAPH_INITIALIZER) {
                ranks.put(tensorName(f), rank(f));
            }
        }
        List<Node> rewritten = dropUnused(new RowStream(skipNorms.apply(), graphOutputs, ranks).apply(), graphOutputs);

        ProtoWire.Writer graph = new ProtoWire.Writer(graphField.length() + 4096);
        for (Node n : rewritten) {
            graph.message(GRAPH_NODE, n.write());
        }
        for (ProtoWire.Field f : graphFields) {
            if (f.number() != GRAPH_NODE) {
                graph.field(f);
            }
        }
        graph.message(GRAPH_INITIALIZER, scalar(INVERSE_127, FLOAT, floatBytes(1f / 127f)));
        graph.message(GRAPH_INITIALIZER, scalar(ZERO_POINT, UINT8, new byte[] {(byte) 128}));
        graph.message(GRAPH_INITIALIZER, int64Vector(FLAT, -1L));
        graph.message(GRAPH_INITIALIZER, int64Vector(START, 0L));
        if (rewrite.axesAsInput) {
            graph.message(GRAPH_INITIALIZER, int64Vector(LAST_AXIS, -1L));
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
            out.message(
                    MODEL_OPSET_IMPORT,
                    new ProtoWire.Writer().string(OPSET_DOMAIN, MS_DOMAIN).varint(OPSET_VERSION, 1));
        }
        return new Result(out.toByteArray(), rewrite.quantizations, rewrite.matMuls, attention.fused);
    }

    /** Drops the nodes whose outputs nothing reads any more (the shape arithmetic of a fused attention). */
    private static List<Node> dropUnused(List<Node> nodes, Set<String> graphOutputs) {
        List<Node> live = new ArrayList<>(nodes);
        boolean changed = true;
        while (changed) {
            Set<String> read = new HashSet<>(graphOutputs);
            for (Node n : live) {
                read.addAll(n.inputs);
            }
            changed = live.removeIf(n -> n.outputs.stream().noneMatch(read::contains));
        }
        return live;
    }

    private static ProtoWire.Writer scalar(String name, int dataType, byte[] raw) {
        return new ProtoWire.Writer()
                .varint(TENSOR_DATA_TYPE, dataType)
                .string(TENSOR_NAME, name)
                .bytes(TENSOR_RAW_DATA, raw);
    }

    /** A one-element int64 vector initializer. */
    private static ProtoWire.Writer int64Vector(String name, long value) {
        return new ProtoWire.Writer()
                .varint(TENSOR_DIMS, 1)
                .varint(TENSOR_DATA_TYPE, INT64)
                .string(TENSOR_NAME, name)
                .bytes(
                        TENSOR_RAW_DATA,
                        ByteBuffer.allocate(8)
                                .order(ByteOrder.LITTLE_ENDIAN)
                                .putLong(value)
                                .array());
    }

    private static byte[] floatBytes(float v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(v).array();
    }

    /** The node-level rewrite: finds each quantisation and the matrix products it feeds, then re-emits the graph. */
    /** Indexes {@code nodes} by the tensors each writes ({@code producers}) and reads ({@code consumers}). */
    private static void index(List<Node> nodes, Map<String, Node> producers, Map<String, List<Node>> consumers) {
        for (Node n : nodes) {
            for (String o : n.outputs) {
                producers.put(o, n);
            }
            for (String i : n.inputs) {
                consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n);
            }
        }
    }

    private static final class Rewrite {

        private final List<Node> nodes;
        private final boolean axesAsInput;
        private final boolean axesAsInput13;
        private final Map<String, Node> producers = new HashMap<>();
        private final Map<String, List<Node>> consumers = new HashMap<>();
        private final Map<Node, List<Node>> replacements = new HashMap<>();
        private final Set<Node> removed = new HashSet<>();
        int quantizations;
        int matMuls;

        Rewrite(List<Node> nodes, long opset) {
            this.nodes = nodes;
            this.axesAsInput = opset >= 18;
            this.axesAsInput13 = opset >= 13;
            index(nodes, producers, consumers);
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
            // x as rows [rows, width] (a view); m = max|x| per row as [rows, 1]: the A scale of the products (the
            // 1/127 is in the weight scale); the quantised rows feed the products as they are
            Node reduce = axesAsInput
                    ? new Node(p + "ReduceMax", "ReduceMax", List.of(p + "abs", LAST_AXIS), List.of(scale))
                    : new Node(p + "ReduceMax", "ReduceMax", List.of(p + "abs"), List.of(scale)).ints("axes", -1L);
            reduce.integer("keepdims", 1);
            List<Node> emitted = new ArrayList<>(List.of(
                    new Node(p + "Rows", "Flatten", List.of(x), List.of(p + "rows")).integer("axis", -1),
                    new Node(p + "Abs", "Abs", List.of(p + "rows"), List.of(p + "abs")),
                    reduce,
                    new Node(p + "RowScale", "Mul", List.of(scale, INVERSE_127), List.of(p + "row_scale_kept")),
                    new Node(
                            p + "RowScales",
                            "Reshape",
                            List.of(p + "row_scale_kept", FLAT),
                            List.of(p + "row_scale"))));
            if (quantizations == 0) {
                // one zero point (128) per row, shared: every quantised activation of an encoder has the same rows
                emitted.add(new Node(p + "RowCount", "Shape", List.of(p + "row_scale"), List.of(ROW_COUNT)));
                emitted.add(
                        new Node(p + "RowZeroPoints", "ConstantOfShape", List.of(ROW_COUNT), List.of(ROW_ZERO_POINTS))
                                .tensor("value", UINT8, new byte[] {(byte) 128}));
                // [batch, sequence, -1], to give rows back their shape where a node needs it (RowStream)
                emitted.add(new Node(p + "Shape", "Shape", List.of(x), List.of(p + "shape")));
                emitted.add(
                        new Node(p + "Leading", "Slice", List.of(p + "shape", START, FLAT), List.of(p + "leading")));
                emitted.add(new Node(p + "RowsShape", "Concat", List.of(p + "leading", FLAT), List.of(ROWS_SHAPE))
                        .integer("axis", 0));
            }
            Node quantize = new Node(
                            p + "QuantizeLinear",
                            "QuantizeLinear",
                            List.of(p + "rows", p + "row_scale", ROW_ZERO_POINTS),
                            List.of(q))
                    .integer("axis", 0);
            quantize.domain = MS_DOMAIN;
            emitted.add(quantize);
            replacements.put(dql, emitted);
            quantizations++;

            Set<Node> handledScaleMuls = new HashSet<>();
            for (Node mmi : consumers.getOrDefault(q, List.of())) {
                if (!mmi.opType.equals("MatMulInteger")
                        || mmi.inputs.size() != 4
                        || !mmi.inputs.get(0).equals(q)
                        || !mmi.inputs.get(2).equals(zeroPoint)) {
                    throw unexpected(
                            mmi,
                            "takes " + dql.name + "'s quantized output but is not MatMulInteger(q, B,"
                                    + " zero_point, B_zero_point)");
                }
                Node cast = only(mmi, "Cast");
                Node mul = only(cast, "Mul");
                String product = mul.inputs.get(0).equals(cast.outputs.get(0)) ? mul.inputs.get(1) : mul.inputs.get(0);
                Node scaleMul = producers.get(product);
                if (scaleMul == null || !scaleMul.opType.equals("Mul") || !scaleMul.inputs.contains(scale)) {
                    throw unexpected(mul, "does not multiply by " + dql.name + "'s scale times the weight scale");
                }
                String weightScale =
                        scaleMul.inputs.get(0).equals(scale) ? scaleMul.inputs.get(1) : scaleMul.inputs.get(0);
                // The row scale is max|x| rather than max|x| / 127: the 1/127 moves into the weight scale, a product
                // of two initializers that ONNX Runtime folds into one when it loads the model.
                List<Node> emittedForProduct = new ArrayList<>();
                String weightScaleOver127 = PREFIX + "weight_scale_over_127/" + matMuls;
                emittedForProduct.add(new Node(
                        weightScaleOver127 + "/Mul",
                        "Mul",
                        List.of(weightScale, INVERSE_127),
                        List.of(weightScaleOver127)));
                weightScale = weightScaleOver127;
                Node geluBias = geluBiasAdd(mul.outputs.get(0));
                if (geluBias != null) {
                    emittedForProduct.add(keepOffBiasGelu(geluBias, mul.outputs.get(0)));
                }
                Node fused = new Node(
                        PREFIX + "MatMul" + matMuls,
                        "MatMulIntegerToFloat",
                        List.of(q, mmi.inputs.get(1), scale, weightScale, ZERO_POINT, mmi.inputs.get(3)),
                        List.of(mul.outputs.get(0)));
                fused.domain = MS_DOMAIN;
                emittedForProduct.add(fused);
                replacements.put(mul, emittedForProduct);
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

        /**
         * The bias {@code Add} after a product when its sum feeds an erf GELU ({@code Div} by sqrt 2 and the
         * {@code Mul} by the sum), else null.
         */
        private Node geluBiasAdd(String product) {
            List<Node> next = consumers.getOrDefault(product, List.of());
            if (next.size() != 1 || !next.get(0).opType.equals("Add")) {
                return null;
            }
            Node add = next.get(0);
            List<Node> uses = consumers.getOrDefault(add.outputs.get(0), List.of());
            boolean gelu = uses.size() == 2
                    && uses.stream().anyMatch(n -> n.opType.equals("Div"))
                    && uses.stream().anyMatch(n -> n.opType.equals("Mul"));
            return gelu
                            && !producers.containsKey(
                                    add.inputs.get(add.inputs.get(0).equals(product) ? 1 : 0))
                    ? add
                    : null;
        }

        /**
         * Gives the bias of a GELU's {@code Add} the shape [1, N]. ONNX Runtime fuses a 1-D bias {@code Add}
         * and the GELU into {@code BiasGelu}, whose CPU kernel ran at about a third of the speed of the plain
         * {@code Gelu} kernel here (on 256-token chunks, 2.1 ms against 0.64 ms per call); a 2-D bias keeps the two
         * apart. The {@code Unsqueeze} of an initializer is folded at load.
         */
        private Node keepOffBiasGelu(Node add, String product) {
            int biasIndex = add.inputs.get(0).equals(product) ? 1 : 0;
            String bias = add.inputs.get(biasIndex);
            String bias2d = PREFIX + "bias_2d/" + matMuls;
            Node unsqueeze = axesAsInput13
                    ? new Node(bias2d + "/Unsqueeze", "Unsqueeze", List.of(bias, START), List.of(bias2d))
                    : new Node(bias2d + "/Unsqueeze", "Unsqueeze", List.of(bias), List.of(bias2d)).ints("axes", 0L);
            add.inputs.set(biasIndex, bias2d);
            return unsqueeze;
        }

        private Node only(Node producer, String opType) {
            List<Node> next = consumers.getOrDefault(producer.outputs.get(0), List.of());
            if (next.size() != 1 || !next.get(0).opType.equals(opType)) {
                throw unexpected(producer, "is not followed by exactly one " + opType);
            }
            return next.get(0);
        }

        private static IllegalArgumentException unexpected(Node n, String what) {
            return new IllegalArgumentException(
                    "per-token quantization cannot rewrite node '" + n.name + "' (" + n.opType + "): it " + what);
        }
    }

    /**
     * Replaces each {@code Add(bias, product) -> Add(residual) -> LayerNorm} (the LayerNorm as exported: ReduceMean,
     * Sub, Pow, ReduceMean, Add epsilon, Sqrt, Div, Mul gamma, Add beta) with one
     * {@code com.microsoft.SkipLayerNormalization(product, residual, gamma, beta, bias)}: the bias and the residual
     * are added inside the normalisation's pass over the row instead of in two full passes of their own. Each row
     * is still normalised on its own.
     */
    private static final class SkipNormFusion {

        private final List<Node> nodes;
        private final Map<String, Node> producers = new HashMap<>();
        private final Map<String, List<Node>> consumers = new HashMap<>();
        int fused;

        SkipNormFusion(List<Node> nodes) {
            this.nodes = nodes;
            index(nodes, producers, consumers);
        }

        List<Node> apply() {
            Map<Node, Node> replacements = new HashMap<>();
            Set<Node> removed = new HashSet<>();
            for (Node mean : nodes) {
                if (!mean.opType.equals("ReduceMean") || !mean.domain.isEmpty()) {
                    continue;
                }
                Node residualAdd = producers.get(mean.inputs.get(0));
                if (residualAdd == null || !residualAdd.opType.equals("Add")) {
                    continue;
                }
                Node biasAdd = null;
                String residual = null;
                for (int i = 0; i < 2; i++) {
                    Node b = producers.get(residualAdd.inputs.get(i));
                    if (b != null && b.opType.equals("Add") && uses(b.outputs.get(0)) == 1) {
                        biasAdd = b;
                        residual = residualAdd.inputs.get(1 - i);
                    }
                }
                if (biasAdd == null || uses(residualAdd.outputs.get(0)) != 2) {
                    continue;
                }
                int productSide = producers.containsKey(biasAdd.inputs.get(0)) ? 0 : 1;
                String product = biasAdd.inputs.get(productSide);
                String bias = biasAdd.inputs.get(1 - productSide);
                Node productNode = producers.get(product);
                if (producers.containsKey(bias)
                        || productNode == null
                        || !productNode.opType.equals("MatMulIntegerToFloat")) {
                    continue;
                }
                Node sub = only(residualAdd.outputs.get(0), "Sub", mean);
                Node pow = sub == null ? null : consumer(sub.outputs.get(0), "Pow");
                Node div = sub == null ? null : consumer(sub.outputs.get(0), "Div");
                Node variance = pow == null ? null : consumer(pow.outputs.get(0), "ReduceMean");
                Node epsilonAdd = variance == null ? null : consumer(variance.outputs.get(0), "Add");
                Node sqrt = epsilonAdd == null ? null : consumer(epsilonAdd.outputs.get(0), "Sqrt");
                Node gamma = div == null ? null : consumer(div.outputs.get(0), "Mul");
                Node beta = gamma == null ? null : consumer(gamma.outputs.get(0), "Add");
                if (beta == null
                        || sqrt == null
                        || !div.inputs.get(1).equals(sqrt.outputs.get(0))
                        || uses(sub.outputs.get(0)) != 2) {
                    continue;
                }
                float epsilon = floatConstant(
                        epsilonAdd.inputs.get(0).equals(variance.outputs.get(0))
                                ? epsilonAdd.inputs.get(1)
                                : epsilonAdd.inputs.get(0));
                String gammaWeight = other(gamma, div.outputs.get(0));
                String betaWeight = other(beta, gamma.outputs.get(0));
                if (Float.isNaN(epsilon) || producers.containsKey(gammaWeight) || producers.containsKey(betaWeight)) {
                    continue;
                }
                Node skip = new Node(
                        PREFIX + "skip_layer_norm/" + fused,
                        "SkipLayerNormalization",
                        List.of(product, residual, gammaWeight, betaWeight, bias),
                        List.of(beta.outputs.get(0)));
                skip.domain = MS_DOMAIN;
                skip.attributes.add(new ProtoWire.Writer()
                        .string(ATTR_NAME, "epsilon")
                        .fixed32(ATTR_F, Float.floatToIntBits(epsilon))
                        .varint(ATTR_TYPE, ATTR_TYPE_FLOAT));
                replacements.put(beta, skip);
                removed.addAll(List.of(biasAdd, residualAdd, mean, sub, pow, variance, epsilonAdd, sqrt, div, gamma));
                fused++;
            }
            List<Node> out = new ArrayList<>();
            for (Node n : nodes) {
                Node replacement = replacements.get(n);
                if (replacement != null) {
                    out.add(replacement);
                } else if (!removed.contains(n)) {
                    out.add(n);
                }
            }
            return out;
        }

        private int uses(String tensor) {
            return consumers.getOrDefault(tensor, List.of()).size();
        }

        private Node only(String tensor, String opType, Node besides) {
            Node found = null;
            for (Node n : consumers.getOrDefault(tensor, List.of())) {
                if (n != besides) {
                    if (found != null || !n.opType.equals(opType)) {
                        return null;
                    }
                    found = n;
                }
            }
            return found;
        }

        private Node consumer(String tensor, String opType) {
            List<Node> next = consumers.getOrDefault(tensor, List.of());
            for (Node n : next) {
                if (n.opType.equals(opType) && n.domain.isEmpty()) {
                    return n;
                }
            }
            return null;
        }

        private static String other(Node binary, String known) {
            return binary.inputs.get(0).equals(known) ? binary.inputs.get(1) : binary.inputs.get(0);
        }

        /** The value of a scalar float {@code Constant}, or NaN. */
        private float floatConstant(String tensor) {
            Node constant = producers.get(tensor);
            ProtoWire.Field value =
                    constant == null || !constant.opType.equals("Constant") ? null : constant.attribute("value");
            if (value == null) {
                return Float.NaN;
            }
            for (ProtoWire.Field a : value.message()) {
                if (a.number() == ATTR_T) {
                    for (ProtoWire.Field t : a.message()) {
                        if (t.number() == TENSOR_RAW_DATA && t.length() == 4) {
                            return ByteBuffer.wrap(t.buf(), t.offset(), 4)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .getFloat();
                        }
                    }
                }
            }
            return Float.NaN;
        }
    }

    /**
     * Replaces each BERT self-attention core with one {@code com.microsoft.MultiHeadAttention} node.
     *
     * <p>ONNX Runtime fuses a float BERT's attention itself, but not one whose Q, K and V come out of int8
     * products, so the exported graph runs it as about twenty small nodes per layer: the three bias {@code Add}s,
     * {@code Reshape}s and {@code Transpose}s (each a copy), the scores {@code MatMul}, the scaling {@code Div},
     * the mask {@code Add}, {@code Softmax}, the context {@code MatMul}, and the shape arithmetic that feeds the
     * reshapes. The fused node takes the three products, the three biases (one concatenated initializer, folded at
     * load) and the attention mask as int32, and adds the biases while it lays Q, K and V out per head.
     *
     * <p>Each text's attention still depends only on itself: a padded key gets the filter value -10000 added,
     * so its softmax weight is exactly 0, as with the exported mask. An attention that does not match the pattern
     * (written by another exporter) is left as it is.
     */
    private static final class AttentionFusion {

        private final List<Node> nodes;
        private final Set<String> graphInputs;
        private final Map<String, Node> producers = new HashMap<>();
        private final Map<String, List<Node>> consumers = new HashMap<>();
        int fused;

        AttentionFusion(List<Node> nodes, Set<String> graphInputs) {
            this.nodes = nodes;
            this.graphInputs = graphInputs;
            index(nodes, producers, consumers);
        }

        List<Node> apply() {
            Map<Node, Node> replacements = new HashMap<>();
            Set<Node> removed = new HashSet<>();
            String mask = null;
            for (Node softmax : nodes) {
                if (softmax.opType.equals("Softmax")) {
                    Match m = match(softmax);
                    if (m != null && (mask == null || mask.equals(m.mask))) {
                        mask = m.mask;
                        String p = PREFIX + "attention/" + fused + "/";
                        Node bias = new Node(p + "Bias", "Concat", List.of(m.biases), List.of(p + "bias"))
                                .integer("axis", 0);
                        Node attention = new Node(
                                        p + "MultiHeadAttention",
                                        "MultiHeadAttention",
                                        List.of(m.products[0], m.products[1], m.products[2], p + "bias", MASK_INT32),
                                        List.of(m.output.outputs.get(0)))
                                .integer("num_heads", m.heads);
                        attention.domain = MS_DOMAIN;
                        // the context Transpose comes after every input of the attention and before its output's
                        // Reshape
                        replacements.put(m.removed.get(m.removed.size() - 1), bias);
                        replacements.put(m.output, attention);
                        removed.addAll(m.removed);
                        fused++;
                    }
                }
            }
            if (fused == 0) {
                return nodes;
            }
            List<Node> out = new ArrayList<>();
            out.add(new Node(MASK_INT32 + "/Cast", "Cast", List.of(mask), List.of(MASK_INT32)).integer("to", INT32));
            for (Node n : nodes) {
                Node replacement = replacements.get(n);
                if (replacement != null) {
                    out.add(replacement);
                } else if (!removed.contains(n)) {
                    out.add(n);
                }
            }
            return out;
        }

        /** One attention core, found from its Softmax. */
        private record Match(
                String[] products, String[] biases, long heads, String mask, Node output, List<Node> removed) {}

        private Match match(Node softmax) {
            Node maskAdd = producer(softmax.inputs.get(0), "Add");
            if (maskAdd == null) {
                return null;
            }
            int divSide = producer(maskAdd.inputs.get(0), "Div") != null ? 0 : 1;
            Node div = producer(maskAdd.inputs.get(divSide), "Div");
            String mask = div == null ? null : graphInput(maskAdd.inputs.get(1 - divSide));
            Node scores = div == null ? null : producer(div.inputs.get(0), "MatMul");
            Node context = consumer(softmax.outputs.get(0), "MatMul");
            if (scores == null || context == null || mask == null) {
                return null;
            }
            Node[] transposes = {
                producer(scores.inputs.get(0), "Transpose"),
                producer(scores.inputs.get(1), "Transpose"),
                producer(context.inputs.get(1), "Transpose")
            };
            long[][] perms = {{0, 2, 1, 3}, {0, 2, 3, 1}, {0, 2, 1, 3}};
            Node[] reshapes = new Node[3];
            Node[] adds = new Node[3];
            String[] products = new String[3];
            String[] biases = new String[3];
            for (int i = 0; i < 3; i++) {
                if (transposes[i] == null || !Arrays.equals(transposes[i].longs("perm"), perms[i])) {
                    return null;
                }
                reshapes[i] = producer(transposes[i].inputs.get(0), "Reshape");
                adds[i] = reshapes[i] == null ? null : producer(reshapes[i].inputs.get(0), "Add");
                if (adds[i] == null) {
                    return null;
                }
                int productSide = producers.containsKey(adds[i].inputs.get(0)) ? 0 : 1;
                products[i] = adds[i].inputs.get(productSide);
                biases[i] = adds[i].inputs.get(1 - productSide);
                Node product = producers.get(products[i]);
                if (producers.containsKey(biases[i])
                        || product == null
                        || !product.opType.equals("MatMulIntegerToFloat")) {
                    return null;
                }
            }
            Node contextTranspose = consumer(context.outputs.get(0), "Transpose");
            Node output = contextTranspose == null ? null : consumer(contextTranspose.outputs.get(0), "Reshape");
            Node headsShape = producer(reshapes[0].inputs.get(1), "Concat");
            long heads =
                    headsShape == null || headsShape.inputs.size() != 4 ? -1 : int64Constant(headsShape.inputs.get(2));
            if (output == null || heads < 1 || !Arrays.equals(contextTranspose.longs("perm"), perms[0])) {
                return null;
            }
            List<Node> removed = new ArrayList<>(List.of(adds));
            removed.addAll(List.of(reshapes));
            removed.addAll(List.of(transposes));
            removed.addAll(List.of(scores, div, maskAdd, softmax, context, contextTranspose));
            return new Match(products, biases, heads, mask, output, removed);
        }

        private Node producer(String tensor, String opType) {
            Node n = producers.get(tensor);
            return n != null && n.opType.equals(opType) && n.domain.isEmpty() ? n : null;
        }

        private Node consumer(String tensor, String opType) {
            for (Node n : consumers.getOrDefault(tensor, List.of())) {
                if (n.opType.equals(opType) && n.domain.isEmpty()) {
                    return n;
                }
            }
            return null;
        }

        /** The one graph input that {@code tensor} is computed from (the attention mask), or null. */
        private String graphInput(String tensor) {
            Set<String> found = new HashSet<>();
            List<String> pending = new ArrayList<>(List.of(tensor));
            Set<String> seen = new HashSet<>();
            while (!pending.isEmpty()) {
                String t = pending.remove(pending.size() - 1);
                if (!seen.add(t)) {
                    continue;
                }
                if (graphInputs.contains(t)) {
                    found.add(t);
                }
                Node n = producers.get(t);
                if (n != null) {
                    pending.addAll(n.inputs);
                }
            }
            return found.size() == 1 ? found.iterator().next() : null;
        }

        /** The value of a scalar or one-element int64 {@code Constant}, or -1. */
        private long int64Constant(String tensor) {
            Node constant = producer(tensor, "Constant");
            ProtoWire.Field value = constant == null ? null : constant.attribute("value");
            if (value == null) {
                return -1;
            }
            for (ProtoWire.Field a : value.message()) {
                if (a.number() == ATTR_T) {
                    for (ProtoWire.Field t : a.message()) {
                        if (t.number() == TENSOR_RAW_DATA && t.length() == 8) {
                            return ByteBuffer.wrap(t.buf(), t.offset(), 8)
                                    .order(ByteOrder.LITTLE_ENDIAN)
                                    .getLong();
                        }
                        if (t.number() == TENSOR_INT64_DATA && t.wireType() == ProtoWire.VARINT) {
                            return t.value();
                        }
                    }
                }
            }
            return -1;
        }
    }

    /**
     * Keeps the activations between int8 products as rows, [batch x sequence, width], so that only the nodes that
     * need the batch and sequence axes pay for a view back to [batch, sequence, width].
     *
     * <p>The quantisation flattens its input to rows and its products give rows. Rows flow on through the nodes
     * that treat every row alike: {@code SkipLayerNormalization} (its residual flattened once where it enters as
     * [batch, sequence, width]), the GELU's bias {@code Add} (bias [1, width]) and the elementwise GELU, and the
     * next quantisation, whose own flattening is then dropped. A node that needs the axes (the attention, a graph
     * output, any node not named here) gets a {@code Reshape} to [batch, sequence, -1]. Fewer nodes run per
     * layer (two views per quantisation against three views per attention), which matters on short texts,
     * where ONNX Runtime's cost per node is a fair share of the run.
     */
    private static final class RowStream {

        private static final Set<String> ELEMENTWISE =
                Set.of("Add", "Sub", "Mul", "Div", "Erf", "Gelu", "Abs", "Neg", "Sqrt", "Pow", "Tanh", "Sigmoid");

        private final List<Node> nodes;
        private final Set<String> graphOutputs;
        private final Map<String, Integer> ranks;
        private final Set<String> rows = new HashSet<>();
        private final Map<String, String> alias = new HashMap<>();
        private final Map<String, String> flattened = new HashMap<>();
        private final Map<String, String> unflattened = new HashMap<>();
        private final List<Node> out = new ArrayList<>();

        RowStream(List<Node> nodes, Set<String> graphOutputs, Map<String, Integer> ranks) {
            this.nodes = nodes;
            this.graphOutputs = graphOutputs;
            this.ranks = new HashMap<>(ranks);
        }

        List<Node> apply() {
            for (Node n : nodes) {
                n.inputs.replaceAll(i -> alias.getOrDefault(i, i));
                if (n.opType.equals("Constant")) {
                    ProtoWire.Field value = n.attribute("value");
                    if (value != null) {
                        for (ProtoWire.Field a : value.message()) {
                            if (a.number() == ATTR_T) {
                                ranks.put(n.outputs.get(0), rank(a));
                            }
                        }
                    }
                }
                boolean ours = n.name.startsWith(PREFIX);
                if (ours && n.opType.equals("Flatten")) {
                    String x = n.inputs.get(0);
                    if (rows.contains(x)) {
                        alias.put(n.outputs.get(0), x);
                        continue;
                    }
                    rows.add(n.outputs.get(0));
                    flattened.putIfAbsent(x, n.outputs.get(0));
                } else if (ours && n.opType.equals("Unsqueeze")) {
                    ranks.put(n.outputs.get(0), 2);
                } else if (ours && n.opType.equals("QuantizeLinear") || n.opType.equals("MatMulIntegerToFloat")) {
                    if (rows.contains(n.inputs.get(0))) {
                        rows.add(n.outputs.get(0));
                    }
                } else if (ours
                        && !n.opType.equals("MultiHeadAttention")
                        && !n.opType.equals("SkipLayerNormalization")) {
                    // the quantisation's own small nodes, the shared shapes and the attention's mask and bias
                } else if (n.opType.equals("SkipLayerNormalization") && rows.contains(n.inputs.get(0))) {
                    String residual = n.inputs.get(1);
                    if (!rows.contains(residual)) {
                        n.inputs.set(1, flatten(residual));
                    }
                    rows.add(n.outputs.get(0));
                } else if (ELEMENTWISE.contains(n.opType)
                        && n.domain.isEmpty()
                        && n.inputs.stream().anyMatch(rows::contains)
                        && n.inputs.stream()
                                .allMatch(i -> rows.contains(i)
                                        || ranks.getOrDefault(i, 3) <= 1
                                        || ranks.getOrDefault(i, 3) == 2 && i.startsWith(PREFIX))) {
                    rows.add(n.outputs.get(0));
                } else {
                    n.inputs.replaceAll(i -> rows.contains(i) ? unflatten(i) : i);
                }
                out.add(n);
            }
            for (String output : graphOutputs) {
                if (rows.contains(output)) {
                    String asRows = PREFIX + "rows_of/" + output;
                    for (Node n : out) {
                        n.outputs.replaceAll(o -> o.equals(output) ? asRows : o);
                        n.inputs.replaceAll(i -> i.equals(output) ? asRows : i);
                    }
                    out.add(new Node(asRows + "/Reshape", "Reshape", List.of(asRows, ROWS_SHAPE), List.of(output)));
                }
            }
            return out;
        }

        private String flatten(String tensor) {
            return flattened.computeIfAbsent(tensor, t -> {
                String name = PREFIX + "rows_of/" + t;
                out.add(new Node(name + "/Flatten", "Flatten", List.of(t), List.of(name)).integer("axis", -1));
                return name;
            });
        }

        private String unflatten(String tensor) {
            return unflattened.computeIfAbsent(tensor, t -> {
                String name = PREFIX + "unflattened/" + t;
                out.add(new Node(name + "/Reshape", "Reshape", List.of(t, ROWS_SHAPE), List.of(name)));
                return name;
            });
        }
    }

    private static String tensorName(ProtoWire.Field tensor) {
        for (ProtoWire.Field t : tensor.message()) {
            if (t.number() == TENSOR_NAME) {
                return t.string();
            }
        }
        return "";
    }

    /** The number of dimensions of a TensorProto (dims packed or not). */
    private static int rank(ProtoWire.Field tensor) {
        int rank = 0;
        for (ProtoWire.Field t : tensor.message()) {
            if (t.number() == TENSOR_DIMS) {
                rank += t.wireType() == ProtoWire.LEN
                        ? ProtoWire.varints(t.buf(), t.offset(), t.length()).size()
                        : 1;
            }
        }
        return rank;
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
            this.inputs = new ArrayList<>(inputs);
            this.outputs = new ArrayList<>(outputs);
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

        /** The attribute called {@code name} as read, or null. */
        ProtoWire.Field attribute(String name) {
            for (ProtoWire.Field f : others) {
                if (f.number() == NODE_ATTRIBUTE && f.wireType() == ProtoWire.LEN) {
                    for (ProtoWire.Field a : f.message()) {
                        if (a.number() == ATTR_NAME && a.string().equals(name)) {
                            return f;
                        }
                    }
                }
            }
            return null;
        }

        /** The ints attribute called {@code name} as read (packed or not), or an empty array. */
        long[] longs(String name) {
            ProtoWire.Field attribute = attribute(name);
            List<Long> values = new ArrayList<>();
            if (attribute != null) {
                for (ProtoWire.Field a : attribute.message()) {
                    if (a.number() == ATTR_INTS && a.wireType() == ProtoWire.VARINT) {
                        values.add(a.value());
                    } else if (a.number() == ATTR_INTS && a.wireType() == ProtoWire.LEN) {
                        values.addAll(ProtoWire.varints(a.buf(), a.offset(), a.length()));
                    }
                }
            }
            return values.stream().mapToLong(Long::longValue).toArray();
        }

        Node ints(String attribute, long... values) {
            ProtoWire.Writer a = new ProtoWire.Writer().string(ATTR_NAME, attribute);
            for (long v : values) {
                a.varint(ATTR_INTS, v);
            }
            attributes.add(a.varint(ATTR_TYPE, ATTR_TYPE_INTS));
            return this;
        }

        Node tensor(String attribute, int dataType, byte[] raw) {
            attributes.add(new ProtoWire.Writer()
                    .string(ATTR_NAME, attribute)
                    .message(
                            ATTR_T,
                            new ProtoWire.Writer()
                                    .varint(TENSOR_DIMS, 1)
                                    .varint(TENSOR_DATA_TYPE, dataType)
                                    .bytes(TENSOR_RAW_DATA, raw))
                    .varint(ATTR_TYPE, ATTR_TYPE_TENSOR));
            return this;
        }

        Node integer(String attribute, long value) {
            attributes.add(new ProtoWire.Writer()
                    .string(ATTR_NAME, attribute)
                    .varint(ATTR_I, value)
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
