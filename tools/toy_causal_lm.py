#!/usr/bin/python3
"""Writes the toy causal-lm fixture: worker/src/test/resources/texttotext/toy-lm.onnx and toy-lm-tokenizer.json.

A decoder-only "language model" with the Hugging Face/Optimum signature (input_ids, attention_mask,
position_ids, past_key_values.0.key|value in; logits, present.0.key|value out) whose behaviour is known:

- logits at every position are row input_ids[t] of a fixed matrix W: the next token is a fixed function of
  the last token (NEXT below), with a second choice (SECOND) one logit lower, so greedy output is exact and
  temperature sampling has a known distribution;
- present.0.key|value = concat(past, one row per new token) along the sequence axis, with channel 0 of every
  row equal to 1, so the cache really grows by one per token;
- a consistency check: err = |cached rows - sum(attention_mask)| + |max(position_ids) + 1 - sum(attention_mask)|
  is added (times 100) to the <unk> logit. A decode loop that drops or misaligns the cache, the mask or the
  positions therefore generates <unk> instead of the expected words.

toy-lm-padded.onnx is the same toy made for padded batches (see padded_graph). With --transformer DIR it
writes instead a random-weight transformer of a chosen size (see transformer_graph) for GenerationBench.

Deterministic: running it twice writes identical bytes. Run: /usr/bin/python3 tools/toy_causal_lm.py
"""
import argparse
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

VOCAB = ["<eos>", "<unk>", "the", "cat", "sat", "on", "mat", "and", "dog", "ran", "away", "far"]
ID = {w: i for i, w in enumerate(VOCAB)}
# the next token of each token (greedy), and the runner-up one logit below
NEXT = {"<eos>": "<eos>", "<unk>": "<unk>", "the": "cat", "cat": "sat", "sat": "on", "on": "the",
        "mat": "<eos>", "and": "dog", "dog": "ran", "ran": "away", "away": "far", "far": "mat"}
SECOND = {"<eos>": "the", "<unk>": "the", "the": "dog", "cat": "and", "sat": "far", "on": "mat",
          "mat": "the", "and": "the", "dog": "cat", "ran": "on", "away": "on", "far": "the"}
V = len(VOCAB)
HEADS, HEAD_DIM = 1, 2
THE_LIMIT = 3  # the padded toy favours "the" while a sequence's cache holds exactly this many "the"

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "worker", "src", "test", "resources", "texttotext")


def weights():
    w = np.zeros((V, V), dtype=np.float32)
    w[:, ID["<unk>"]] = -10.0
    for tok in VOCAB:
        w[ID[tok], ID[NEXT[tok]]] = 2.0
        w[ID[tok], ID[SECOND[tok]]] = 1.0
    return w


def graph():
    w = numpy_helper.from_array(weights(), "W")
    rows = np.zeros((V, HEAD_DIM), dtype=np.float32)
    rows[:, 0] = 1.0
    rows[:, 1] = np.arange(V, dtype=np.float32)
    k_rows = numpy_helper.from_array(rows, "K_rows")
    v_rows = numpy_helper.from_array(rows * 2.0, "V_rows")
    unk = np.zeros((V,), dtype=np.float32)
    unk[ID["<unk>"]] = 100.0
    unk_hot = numpy_helper.from_array(unk, "unk_hot")
    consts = [
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "axes12"),
        numpy_helper.from_array(np.array([0], dtype=np.int64), "idx0"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
    ]
    nodes = [
        helper.make_node("Gather", ["W", "input_ids"], ["base_logits"]),
        helper.make_node("Gather", ["K_rows", "input_ids"], ["k_new3"]),
        helper.make_node("Unsqueeze", ["k_new3", "axis1"], ["k_new"]),
        helper.make_node("Concat", ["past_key_values.0.key", "k_new"], ["present.0.key"], axis=2),
        helper.make_node("Gather", ["V_rows", "input_ids"], ["v_new3"]),
        helper.make_node("Unsqueeze", ["v_new3", "axis1"], ["v_new"]),
        helper.make_node("Concat", ["past_key_values.0.value", "v_new"], ["present.0.value"], axis=2),
        # rows in the cache (channel 0 is 1 per row), per batch row: [B, 1]
        helper.make_node("ReduceSum", ["present.0.key", "axes12"], ["k_sum"], keepdims=0),
        helper.make_node("Gather", ["k_sum", "idx0"], ["k_count"], axis=1),
        helper.make_node("ReduceSum", ["attention_mask", "axis1"], ["m_sum_i"], keepdims=1),
        helper.make_node("Cast", ["m_sum_i"], ["m_sum"], to=TensorProto.FLOAT),
        helper.make_node("ReduceMax", ["position_ids"], ["p_max_i"], axes=[1], keepdims=1),
        helper.make_node("Cast", ["p_max_i"], ["p_max0"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["p_max0", "one"], ["p_len"]),
        helper.make_node("Sub", ["k_count", "m_sum"], ["d1"]),
        helper.make_node("Abs", ["d1"], ["a1"]),
        helper.make_node("Sub", ["p_len", "m_sum"], ["d2"]),
        helper.make_node("Abs", ["d2"], ["a2"]),
        helper.make_node("Add", ["a1", "a2"], ["err2"]),
        helper.make_node("Unsqueeze", ["err2", "axis1"], ["err"]),
        helper.make_node("Mul", ["err", "unk_hot"], ["penalty"]),
        helper.make_node("Add", ["base_logits", "penalty"], ["logits"]),
    ]
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("past_key_values.0.key", TensorProto.FLOAT, ["batch", HEADS, "past", HEAD_DIM]),
        helper.make_tensor_value_info("past_key_values.0.value", TensorProto.FLOAT,
                                      ["batch", HEADS, "past", HEAD_DIM]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V]),
        helper.make_tensor_value_info("present.0.key", TensorProto.FLOAT, ["batch", HEADS, "total", HEAD_DIM]),
        helper.make_tensor_value_info("present.0.value", TensorProto.FLOAT, ["batch", HEADS, "total", HEAD_DIM]),
    ]
    g = helper.make_graph(nodes, "toy_causal_lm", inputs, outputs,
                          initializer=[w, k_rows, v_rows, unk_hot] + consts)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def tokenizer():
    special = [{"id": ID[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ("<eos>", "<unk>")]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": {"type": "Lowercase"},
        "pre_tokenizer": {"type": "Whitespace"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": ID, "unk_token": "<unk>"},
    }


def padded_graph():
    """The toy of graph() made for padded batches: the same next-token table, checks that count only the cache
    rows the attention mask keeps, and a rule that reads the cache: while a sequence's real cache rows hold
    exactly THE_LIMIT "the" tokens, "the" gets +10 (so "the" continues "cat sat on the cat sat on the the cat
    sat on ..." and never ends). A batch that mixed rows of different sequences, or counted padding as real,
    generates something else."""
    w = numpy_helper.from_array(weights(), "W")
    rows = np.zeros((V, HEAD_DIM), dtype=np.float32)
    rows[:, 0] = 1.0
    rows[:, 1] = np.arange(V, dtype=np.float32)
    k_rows = numpy_helper.from_array(rows, "K_rows")
    v_rows = numpy_helper.from_array(rows * 2.0, "V_rows")
    unk = np.zeros((V,), dtype=np.float32)
    unk[ID["<unk>"]] = 100.0
    the = np.zeros((V,), dtype=np.float32)
    the[ID["the"]] = 10.0
    consts = [
        numpy_helper.from_array(unk, "unk_hot"),
        numpy_helper.from_array(the, "the_hot"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis1"),
        numpy_helper.from_array(np.array(0, dtype=np.int64), "ch0"),
        numpy_helper.from_array(np.array(1, dtype=np.int64), "ch1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one"),
        numpy_helper.from_array(np.array(float(ID["the"]), dtype=np.float32), "the_id"),
        numpy_helper.from_array(np.array(THE_LIMIT - 0.5, dtype=np.float32), "the_low"),
        numpy_helper.from_array(np.array(THE_LIMIT + 0.5, dtype=np.float32), "the_high"),
    ]
    nodes = [
        helper.make_node("Gather", ["W", "input_ids"], ["base_logits"]),
        helper.make_node("Gather", ["K_rows", "input_ids"], ["k_new3"]),
        helper.make_node("Unsqueeze", ["k_new3", "axis1"], ["k_new"]),
        helper.make_node("Concat", ["past_key_values.0.key", "k_new"], ["present.0.key"], axis=2),
        helper.make_node("Gather", ["V_rows", "input_ids"], ["v_new3"]),
        helper.make_node("Unsqueeze", ["v_new3", "axis1"], ["v_new"]),
        helper.make_node("Concat", ["past_key_values.0.value", "v_new"], ["present.0.value"], axis=2),
        helper.make_node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),
        # channel 0 (1 per row) and channel 1 (the token id) of every cache row: [B, T]
        helper.make_node("Gather", ["present.0.key", "ch0"], ["k0_h"], axis=3),
        helper.make_node("Squeeze", ["k0_h", "axis1"], ["k0"]),
        helper.make_node("Gather", ["present.0.key", "ch1"], ["k1_h"], axis=3),
        helper.make_node("Squeeze", ["k1_h", "axis1"], ["k1"]),
        # real rows in the cache: sum(mask * 1); fails to broadcast when the mask and the cache differ in length
        helper.make_node("Mul", ["k0", "mask_f"], ["k0_real"]),
        helper.make_node("ReduceSum", ["k0_real", "axis1"], ["k_count"], keepdims=1),
        helper.make_node("ReduceSum", ["mask_f", "axis1"], ["m_sum"], keepdims=1),
        helper.make_node("ReduceMax", ["position_ids"], ["p_max_i"], axes=[1], keepdims=1),
        helper.make_node("Cast", ["p_max_i"], ["p_max0"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["p_max0", "one"], ["p_len"]),
        helper.make_node("Sub", ["k_count", "m_sum"], ["d1"]),
        helper.make_node("Abs", ["d1"], ["a1"]),
        helper.make_node("Sub", ["p_len", "m_sum"], ["d2"]),
        helper.make_node("Abs", ["d2"], ["a2"]),
        helper.make_node("Add", ["a1", "a2"], ["err2"]),
        helper.make_node("Unsqueeze", ["err2", "axis1"], ["err"]),
        helper.make_node("Mul", ["err", "unk_hot"], ["penalty"]),
        # "the" rows the mask keeps: [B, 1]; at exactly THE_LIMIT, "the" gets +10
        helper.make_node("Equal", ["k1", "the_id"], ["is_the_b"]),
        helper.make_node("Cast", ["is_the_b"], ["is_the"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["is_the", "mask_f"], ["the_real"]),
        helper.make_node("ReduceSum", ["the_real", "axis1"], ["the_count"], keepdims=1),
        helper.make_node("Greater", ["the_count", "the_low"], ["above_b"]),
        helper.make_node("Less", ["the_count", "the_high"], ["below_b"]),
        helper.make_node("And", ["above_b", "below_b"], ["at_b"]),
        helper.make_node("Cast", ["at_b"], ["at2"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["at2", "axis1"], ["at"]),
        helper.make_node("Mul", ["at", "the_hot"], ["the_bonus"]),
        helper.make_node("Add", ["base_logits", "penalty"], ["logits0"]),
        helper.make_node("Add", ["logits0", "the_bonus"], ["logits"]),
    ]
    g = helper.make_graph(nodes, "toy_causal_lm_padded", signature_inputs(), signature_outputs(),
                          initializer=[w, k_rows, v_rows] + consts)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def signature_inputs():
    return [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("past_key_values.0.key", TensorProto.FLOAT, ["batch", HEADS, "past", HEAD_DIM]),
        helper.make_tensor_value_info("past_key_values.0.value", TensorProto.FLOAT,
                                      ["batch", HEADS, "past", HEAD_DIM]),
    ]


def signature_outputs():
    return [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", V]),
        helper.make_tensor_value_info("present.0.key", TensorProto.FLOAT, ["batch", HEADS, "total", HEAD_DIM]),
        helper.make_tensor_value_info("present.0.value", TensorProto.FLOAT, ["batch", HEADS, "total", HEAD_DIM]),
    ]


def transformer_graph(vocab, d_model, layers, heads, ffn, max_positions, seed):
    """A real decoder-only transformer with random weights (numpy seed): learned token and position
    embeddings, pre-norm layers of causal self-attention (padding masked out by attention_mask, the causal
    mask offset by the cached length) and a ReLU MLP, and an LM head; with the Optimum signature and one
    past/present pair per layer. Its text is noise, but its compute per token is that of a small LM, for
    benchmarks. Deterministic for one set of arguments."""
    rng = np.random.default_rng(seed)
    head = d_model // heads
    inits = []

    def weight(name, *shape, scale=None):
        scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
        inits.append(numpy_helper.from_array((rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    def const(name, value, dtype):
        inits.append(numpy_helper.from_array(np.array(value, dtype=dtype), name))
        return name

    const("ones_d", np.ones(d_model), np.float32)
    const("zeros_d", np.zeros(d_model), np.float32)
    const("i0", 0, np.int64)
    const("i1", 1, np.int64)
    const("ax0", [0], np.int64)
    const("ax1", [1], np.int64)
    const("ax12", [1, 2], np.int64)
    const("split_shape", [0, 0, heads, head], np.int64)
    const("merge_shape", [0, 0, d_model], np.int64)
    const("scale", 1.0 / np.sqrt(head), np.float32)
    const("zero_f", 0.0, np.float32)
    const("neg_f", -1e9, np.float32)
    nodes = [
        helper.make_node("Gather", [weight("tok_emb", vocab, d_model, scale=1.0), "input_ids"], ["tok"]),
        helper.make_node("Gather", [weight("pos_emb", max_positions, d_model, scale=0.5), "position_ids"], ["pos"]),
        helper.make_node("Add", ["tok", "pos"], ["x0"]),
        # bias [B, 1, S, T]: 0 where query s (at absolute column T - S + s) may see column t, else -1e9
        helper.make_node("Shape", ["attention_mask"], ["mask_shape"]),
        helper.make_node("Gather", ["mask_shape", "i1"], ["total"]),
        helper.make_node("Shape", ["input_ids"], ["ids_shape"]),
        helper.make_node("Gather", ["ids_shape", "i1"], ["seq"]),
        helper.make_node("Sub", ["total", "seq"], ["past_len"]),
        helper.make_node("Range", ["i0", "total", "i1"], ["cols"]),
        helper.make_node("Range", ["past_len", "total", "i1"], ["rows"]),
        helper.make_node("Unsqueeze", ["cols", "ax0"], ["cols_2d"]),
        helper.make_node("Unsqueeze", ["rows", "ax1"], ["rows_2d"]),
        helper.make_node("LessOrEqual", ["cols_2d", "rows_2d"], ["causal"]),
        helper.make_node("Cast", ["attention_mask"], ["mask_b"], to=TensorProto.BOOL),
        helper.make_node("Unsqueeze", ["mask_b", "ax12"], ["mask_4d"]),
        helper.make_node("And", ["causal", "mask_4d"], ["allowed"]),
        helper.make_node("Where", ["allowed", "zero_f", "neg_f"], ["bias"]),
    ]
    x = "x0"
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "total"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch", "seq"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", "seq", vocab])]
    for l in range(layers):
        p = "l%d_" % l
        past_k, past_v = "past_key_values.%d.key" % l, "past_key_values.%d.value" % l
        pres_k, pres_v = "present.%d.key" % l, "present.%d.value" % l
        inputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", heads, "past", head])
                   for n in (past_k, past_v)]
        outputs += [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", heads, "total", head])
                    for n in (pres_k, pres_v)]
        nodes += [
            helper.make_node("LayerNormalization", [x, "ones_d", "zeros_d"], [p + "h"], axis=-1),
        ]
        for part in ("q", "k", "v"):
            nodes += [
                helper.make_node("MatMul", [p + "h", weight(p + "w" + part, d_model, d_model)], [p + part + "_flat"]),
                helper.make_node("Reshape", [p + part + "_flat", "split_shape"], [p + part + "_split"]),
                helper.make_node("Transpose", [p + part + "_split"], [p + part + "_new"], perm=[0, 2, 1, 3]),
            ]
        nodes += [
            helper.make_node("Concat", [past_k, p + "k_new"], [pres_k], axis=2),
            helper.make_node("Concat", [past_v, p + "v_new"], [pres_v], axis=2),
            helper.make_node("Transpose", [pres_k], [p + "k_t"], perm=[0, 1, 3, 2]),
            helper.make_node("MatMul", [p + "q_new", p + "k_t"], [p + "scores_raw"]),
            helper.make_node("Mul", [p + "scores_raw", "scale"], [p + "scores_scaled"]),
            helper.make_node("Add", [p + "scores_scaled", "bias"], [p + "scores"]),
            helper.make_node("Softmax", [p + "scores"], [p + "attn"], axis=-1),
            helper.make_node("MatMul", [p + "attn", pres_v], [p + "ctx_heads"]),
            helper.make_node("Transpose", [p + "ctx_heads"], [p + "ctx_t"], perm=[0, 2, 1, 3]),
            helper.make_node("Reshape", [p + "ctx_t", "merge_shape"], [p + "ctx"]),
            helper.make_node("MatMul", [p + "ctx", weight(p + "wo", d_model, d_model)], [p + "attn_out"]),
            helper.make_node("Add", [x, p + "attn_out"], [p + "x1"]),
            helper.make_node("LayerNormalization", [p + "x1", "ones_d", "zeros_d"], [p + "h2"], axis=-1),
            helper.make_node("MatMul", [p + "h2", weight(p + "w1", d_model, ffn)], [p + "up"]),
            helper.make_node("Relu", [p + "up"], [p + "act"]),
            helper.make_node("MatMul", [p + "act", weight(p + "w2", ffn, d_model)], [p + "down"]),
            helper.make_node("Add", [p + "x1", p + "down"], [p + "x2"]),
        ]
        x = p + "x2"
    nodes += [
        helper.make_node("LayerNormalization", [x, "ones_d", "zeros_d"], ["final"], axis=-1),
        helper.make_node("MatMul", ["final", weight("lm_head", d_model, vocab)], ["logits"]),
    ]
    g = helper.make_graph(nodes, "toy_transformer_lm", inputs, outputs, initializer=inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="modelpool-tools")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def transformer_tokenizer(vocab):
    """A word-level tokenizer for transformer_graph: <eos>, <unk>, then w2 ... w(vocab-1)."""
    words = {"<eos>": 0, "<unk>": 1}
    for i in range(2, vocab):
        words["w%d" % i] = i
    special = [{"id": words[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ("<eos>", "<unk>")]
    return {
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
        "normalizer": None, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
        "model": {"type": "WordLevel", "vocab": words, "unk_token": "<unk>"},
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Writes the toy causal-lm test fixtures, or with --transformer a "
                                                 "larger random-weight transformer for benchmarks.")
    parser.add_argument("--transformer", metavar="DIR",
                        help="write model.onnx and tokenizer.json of a random-weight transformer to DIR instead")
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--ffn", type=int, default=1024)
    parser.add_argument("--max-positions", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.transformer:
        os.makedirs(args.transformer, exist_ok=True)
        onnx.save(transformer_graph(args.vocab, args.d_model, args.layers, args.heads, args.ffn,
                                    args.max_positions, args.seed), os.path.join(args.transformer, "model.onnx"))
        with open(os.path.join(args.transformer, "tokenizer.json"), "w") as f:
            json.dump(transformer_tokenizer(args.vocab), f, indent=1, sort_keys=True)
            f.write("\n")
    else:
        os.makedirs(OUT, exist_ok=True)
        onnx.save(graph(), os.path.join(OUT, "toy-lm.onnx"))
        with open(os.path.join(OUT, "toy-lm-tokenizer.json"), "w") as f:
            json.dump(tokenizer(), f, indent=1, sort_keys=True)
            f.write("\n")
        onnx.save(padded_graph(), os.path.join(OUT, "toy-lm-padded.onnx"))
