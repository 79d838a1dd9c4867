#!/usr/bin/python3
"""Writes the PyTorch-exported test fixtures under worker/src/test/resources/exported/ and PyTorch's own
reference outputs for them (golden JSON files).

Four architectures, written here in plain PyTorch (no transformers library) after the Hugging Face
implementations they imitate, small enough for tests, and exported with torch.onnx.export the way Optimum and
diffusers export the real ones:

- gpt2/: a GPT-2-style decoder (learned positions, fused q/k/v projection, multi-head attention, the causal
  mask sliced from a lower-triangular buffer, tanh GELU, tied LM head). decoder_model.onnx (no past),
  decoder_with_past_model.onnx, and decoder_model_merged.onnx: the two joined under an If node on
  use_cache_branch, as Optimum's merge_decoders builds it (shared initializers moved to the main graph, small
  ones kept in the branches, branches without inputs reading the outer scope).
- llama/: a Llama-style decoder (RMSNorm, rotary position embeddings gathered by position_ids, SwiGLU MLP,
  grouped-query attention with 2 key/value heads for 4 query heads). decoder_with_past_model.onnx.
- clip-vision/: a CLIP-style ViT vision tower (patch convolution, class token, learned positions, pre-LayerNorm,
  quick-GELU MLP, post-LayerNorm on the class token, projection): pixel_values -> image_embeds,
  last_hidden_state, with Optimum's dynamic axes (batch, channels, height, width).
- diffusion/: a latent-diffusion trio with the names and dynamic axes of diffusers' ONNX export
  (scripts/convert_stable_diffusion_checkpoint_to_onnx.py; Optimum's are the same but for axis names):
  text_encoder (CLIP-style, causal, int32
  input_ids -> last_hidden_state, pooler_output), unet (sample, timestep, encoder_hidden_states -> out_sample:
  sinusoidal timestep embedding, ResNet blocks with GroupNorm and time conditioning, transformer blocks with
  self- and cross-attention and a GEGLU feed-forward, down- and up-sampling with a skip connection) and
  vae_decoder (latent_sample -> sample: post-quant conv, ResNet blocks, a mid self-attention block, two 2x
  upsamplings).

The decoders are trained briefly on a small corpus (CPU, one thread, fixed seed) so that greedy text is not
degenerate; the vision tower and the diffusion trio keep seeded random weights.

Golden files (plain JSON):
- gpt2/expected.json, llama/expected.json: per prompt, PyTorch's greedy loop with a KV cache (token ids and
  text), checked here to equal PyTorch's batched loop over the left-padded prompts (the worker's batched mode),
  and the smallest gap between the top two logits seen on the way;
- clip-vision/expected.json: per image (PNG files written here), image_embeds and the class token of
  last_hidden_state from PyTorch, the input tensor made the worker's way (no resize at 32 x 32, x / 255, CLIP
  mean and std);
- diffusion/expected.json: per request, the pixels of PyTorch's denoising loop (the worker's noise generator,
  DDIM or Euler as in diffusers, classifier-free guidance, VAE scaling, the worker's pixel mapping).

Also the variants the families must refuse at load, each with a clear error: gpt2/errors/fp16-cache.onnx
(float16 past/present), external-data.onnx (+ .onnx.data: weights outside the file), no-present.onnx (past
inputs but only logits out), no-past.onnx is decoder_model.onnx itself; and a tokenizer with more words than the
model's vocabulary (gpt2/errors/tokenizer-too-big.json).

Deterministic: running it twice writes identical bytes (checked with cmp). Run: /usr/bin/python3
tools/pytorch_exports.py (Debian's python3-torch 1.13, python3-onnx, python3-numpy). Under a minute on 2 cores.
"""
import copy
import hashlib
import io
import json
import math
import os
import struct
import zlib

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "worker", "src", "test", "resources", "exported")
OPSET = 14
MIN = torch.finfo(torch.float32).min

# ---- corpus and tokenizer (word level, as the toys of tools/toy_causal_lm.py) ---------------------------------

CORPUS = [
    "the cat sat on the mat",
    "the dog ran to the park",
    "a bird sang in the old tree",
    "my friend reads a long book",
    "the sun is warm today",
    "we walk along the river at night",
    "she likes green tea with honey",
    "the train leaves the station at noon",
    "children play in the garden after school",
    "he paints the small boat blue",
    "rain falls on the quiet town",
    "the baker sells fresh bread every morning",
]
WORDS = ["<eos>", "<unk>"] + sorted({w for s in CORPUS for w in s.split()})
WORD_ID = {w: i for i, w in enumerate(WORDS)}
PROMPTS = ["the cat", "a bird", "the train leaves", "children", "rain falls", "the baker sells fresh",
           "we walk", "my friend reads"]
MAX_POSITIONS = 64


def word_tokenizer(words):
    ids = {w: i for i, w in enumerate(words)}
    special = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ("<eos>", "<unk>")]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": ids, "unk_token": "<unk>"}}


def encode(text):
    return [WORD_ID.get(w, WORD_ID["<unk>"]) for w in text.lower().split()]


def decode(ids):
    return " ".join(WORDS[i] for i in ids if i > 1)


# ---- GPT-2 ------------------------------------------------------------------------------------------------------

class Gpt2Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.c_attn = nn.Linear(d, 3 * d)
        self.c_proj = nn.Linear(d, d)
        self.register_buffer("bias", torch.tril(torch.ones(MAX_POSITIONS, MAX_POSITIONS, dtype=torch.bool))
                             .view(1, 1, MAX_POSITIONS, MAX_POSITIONS), persistent=False)

    def split(self, x):
        b, s, _ = x.shape
        return x.view(b, s, self.heads, self.head_dim).permute(0, 2, 1, 3)

    def forward(self, x, padding_bias, past):
        q, k, v = self.c_attn(x).split(x.shape[-1], dim=2)
        q, k, v = self.split(q), self.split(k), self.split(v)
        if past is not None:
            k = torch.cat((past[0], k), dim=-2)
            v = torch.cat((past[1], v), dim=-2)
        present = (k, v)
        w = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(self.head_dim)
        q_len, k_len = q.size(-2), k.size(-2)
        causal = self.bias[:, :, k_len - q_len:k_len, :k_len]
        w = torch.where(causal, w, torch.tensor(MIN, dtype=w.dtype))
        w = w + padding_bias
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, v).permute(0, 2, 1, 3).contiguous()
        out = out.view(out.shape[0], out.shape[1], -1)
        return self.c_proj(out), present


class Gpt2Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(d, eps=1e-5)
        self.attn = Gpt2Attention(d, heads)
        self.ln_2 = nn.LayerNorm(d, eps=1e-5)
        self.c_fc = nn.Linear(d, 4 * d)
        self.c_proj = nn.Linear(4 * d, d)

    def forward(self, x, padding_bias, past):
        a, present = self.attn(self.ln_1(x), padding_bias, past)
        x = x + a
        h = self.c_fc(self.ln_2(x))
        h = 0.5 * h * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (h + 0.044715 * torch.pow(h, 3.0))))
        return x + self.c_proj(h), present


class Gpt2(nn.Module):
    def __init__(self, vocab, d=32, layers=2, heads=4):
        super().__init__()
        self.wte = nn.Embedding(vocab, d)
        self.wpe = nn.Embedding(MAX_POSITIONS, d)
        self.h = nn.ModuleList([Gpt2Block(d, heads) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(d, eps=1e-5)
        self.layers, self.kv_heads, self.head_dim = layers, heads, d // heads

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        x = self.wte(input_ids) + self.wpe(position_ids)
        padding_bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * MIN
        presents = []
        for i, block in enumerate(self.h):
            x, present = block(x, padding_bias, None if past is None else past[i])
            presents.append(present)
        logits = torch.matmul(self.ln_f(x), self.wte.weight.t())
        return logits, presents


# ---- Llama ------------------------------------------------------------------------------------------------------

class RmsNorm(nn.Module):
    def __init__(self, d, eps=1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        variance = x.pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + self.eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaAttention(nn.Module):
    def __init__(self, d, heads, kv_heads):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, d // heads
        self.q_proj = nn.Linear(d, heads * self.head_dim, bias=False)
        self.k_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.v_proj = nn.Linear(d, kv_heads * self.head_dim, bias=False)
        self.o_proj = nn.Linear(heads * self.head_dim, d, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.head_dim, 2).float() / self.head_dim))
        t = torch.arange(MAX_POSITIONS, dtype=torch.float32)
        freqs = torch.einsum("i,j->ij", t, inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos(), persistent=False)
        self.register_buffer("sin_cached", emb.sin(), persistent=False)

    def forward(self, x, bias, position_ids, past):
        b, s, _ = x.shape
        q = self.q_proj(x).view(b, s, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(b, s, self.kv_heads, self.head_dim).transpose(1, 2)
        kv_len = s if past is None else s + past[0].shape[-2]
        cos = self.cos_cached[:kv_len][position_ids].unsqueeze(1)
        sin = self.sin_cached[:kv_len][position_ids].unsqueeze(1)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        if past is not None:
            k = torch.cat([past[0], k], dim=2)
            v = torch.cat([past[1], v], dim=2)
        present = (k, v)
        groups = self.heads // self.kv_heads
        k = k[:, :, None, :, :].expand(b, self.kv_heads, groups, k.shape[2], self.head_dim) \
            .reshape(b, self.heads, k.shape[2], self.head_dim)
        v = v[:, :, None, :, :].expand(b, self.kv_heads, groups, v.shape[2], self.head_dim) \
            .reshape(b, self.heads, v.shape[2], self.head_dim)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(self.head_dim) + bias
        w = F.softmax(w, dim=-1, dtype=torch.float32)
        out = torch.matmul(w, v).transpose(1, 2).reshape(b, s, -1)
        return self.o_proj(out), present


class LlamaLayer(nn.Module):
    def __init__(self, d, heads, kv_heads, ffn):
        super().__init__()
        self.input_layernorm = RmsNorm(d)
        self.self_attn = LlamaAttention(d, heads, kv_heads)
        self.post_attention_layernorm = RmsNorm(d)
        self.gate_proj = nn.Linear(d, ffn, bias=False)
        self.up_proj = nn.Linear(d, ffn, bias=False)
        self.down_proj = nn.Linear(ffn, d, bias=False)

    def forward(self, x, bias, position_ids, past):
        a, present = self.self_attn(self.input_layernorm(x), bias, position_ids, past)
        x = x + a
        h = self.post_attention_layernorm(x)
        return x + self.down_proj(F.silu(self.gate_proj(h)) * self.up_proj(h)), present


class Llama(nn.Module):
    def __init__(self, vocab, d=32, layers=2, heads=4, kv_heads=2, ffn=64):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers_ = nn.ModuleList([LlamaLayer(d, heads, kv_heads, ffn) for _ in range(layers)])
        self.norm = RmsNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        self.layers, self.kv_heads, self.head_dim = layers, kv_heads, d // heads

    def forward(self, input_ids, attention_mask, position_ids, past=None):
        x = self.embed_tokens(input_ids)
        b, s = input_ids.shape
        past_len = 0 if past is None else past[0][0].shape[2]
        total = past_len + s
        # as transformers' _prepare_decoder_attention_mask: causal (offset by the cache) and padding, additive
        rows = torch.arange(s).view(s, 1) + past_len
        cols = torch.arange(total).view(1, total)
        allowed = (cols <= rows)[None, None, :, :] & attention_mask[:, None, None, :].bool()
        bias = torch.zeros(b, 1, s, total).masked_fill(~allowed, MIN)
        presents = []
        for i, layer in enumerate(self.layers_):
            x, present = layer(x, bias, position_ids, None if past is None else past[i])
            presents.append(present)
        return self.lm_head(self.norm(x)), presents


# ---- training, greedy loops and export of the decoders ---------------------------------------------------------

def train(model, steps=300):
    seqs = [encode(s) + [WORD_ID["<eos>"]] for s in CORPUS]
    longest = max(len(s) for s in seqs)
    ids = torch.tensor([s + [0] * (longest - len(s)) for s in seqs])
    keep = torch.tensor([[1] * len(s) + [0] * (longest - len(s)) for s in seqs])
    positions = torch.arange(longest).expand(len(seqs), longest)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        logits, _ = model(ids[:, :-1], keep[:, :-1], positions[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1), reduction="none")
        loss = (loss * keep[:, 1:].reshape(-1)).sum() / keep[:, 1:].sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    return float(loss)


@torch.no_grad()
def greedy(model, prompts, max_new):
    """The worker's batched loop in PyTorch: left-padded prefill (positions over real tokens), then one step per
    token for every row; returns per prompt the tokens up to EOS and the smallest top-two logit gap seen."""
    encoded = [encode(p) for p in prompts]
    longest = max(len(e) for e in encoded)
    rows = len(prompts)
    ids = torch.zeros(rows, longest, dtype=torch.long)
    mask = torch.zeros(rows, longest, dtype=torch.long)
    positions = torch.zeros(rows, longest, dtype=torch.long)
    for r, e in enumerate(encoded):
        pad = longest - len(e)
        ids[r, pad:] = torch.tensor(e)
        mask[r, pad:] = 1
        positions[r, pad:] = torch.arange(len(e))
    out = [[] for _ in range(rows)]
    done = [False] * rows
    gap = float("inf")
    past = None
    next_pos = torch.tensor([len(e) for e in encoded])
    for _ in range(max_new):
        logits, past = model(ids, mask, positions, past)
        last = logits[:, -1, :]
        top = torch.topk(last, 2, dim=-1).values
        tokens = last.argmax(-1)
        for r in range(rows):
            if not done[r]:
                gap = min(gap, float(top[r, 0] - top[r, 1]))
                if int(tokens[r]) == WORD_ID["<eos>"]:
                    done[r] = True
                else:
                    out[r].append(int(tokens[r]))
        if all(done):
            break
        ids = tokens.view(rows, 1)
        positions = next_pos.view(rows, 1).clone()
        next_pos = next_pos + 1
        mask = torch.cat([mask, torch.ones(rows, 1, dtype=torch.long)], dim=1)
    return out, gap


class WithPast(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids, *flat_past):
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(self.model.layers)]
        logits, presents = self.model(input_ids, attention_mask, position_ids, past)
        return (logits,) + tuple(t for kv in presents for t in kv)


class NoPast(nn.Module):
    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, position_ids):
        logits, presents = self.model(input_ids, attention_mask, position_ids, None)
        return (logits,) + tuple(t for kv in presents for t in kv)


def export(module, args, input_names, output_names, dynamic_axes):
    buf = io.BytesIO()
    torch.onnx.export(module, args, buf, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load_from_string(buf.getvalue())
    model.producer_name = "pytorch"
    return model


def export_decoders(model):
    layers = model.layers
    past_names = [n for i in range(layers) for n in ("past_key_values.%d.key" % i, "past_key_values.%d.value" % i)]
    present_names = [n for i in range(layers) for n in ("present.%d.key" % i, "present.%d.value" % i)]
    axes = {"input_ids": {0: "batch_size", 1: "sequence_length"},
            "position_ids": {0: "batch_size", 1: "sequence_length"},
            "logits": {0: "batch_size", 1: "sequence_length"}}
    no_past_axes = dict(axes, attention_mask={0: "batch_size", 1: "sequence_length"})
    no_past_axes.update({n: {0: "batch_size", 2: "sequence_length"} for n in present_names})
    b, s, p = 2, 3, 4
    ids = torch.randint(2, len(WORDS), (b, s), generator=torch.Generator().manual_seed(0))
    no_past = export(NoPast(model), (ids, torch.ones(b, s, dtype=torch.long), torch.arange(s).expand(b, s)),
                     ["input_ids", "attention_mask", "position_ids"], ["logits"] + present_names, no_past_axes)
    with_axes = dict(axes, attention_mask={0: "batch_size", 1: "past_sequence_length + sequence_length"})
    with_axes.update({n: {0: "batch_size", 2: "past_sequence_length"} for n in past_names})
    with_axes.update({n: {0: "batch_size", 2: "past_sequence_length + sequence_length"} for n in present_names})
    past = tuple(torch.randn(b, model.kv_heads, p, model.head_dim, generator=torch.Generator().manual_seed(i))
                 for i in range(2 * layers))
    with_past = export(WithPast(model), (ids, torch.ones(b, p + s, dtype=torch.long),
                                         (torch.arange(s) + p).expand(b, s)) + past,
                       ["input_ids", "attention_mask", "position_ids"] + past_names, ["logits"] + present_names,
                       with_axes)
    return no_past, with_past


def merge_decoders(decoder, decoder_with_past):
    """Optimum's merge_decoders (optimum/onnx/graph_transformations.py), for two exports of one model:
    initializers with equal contents shared through the main graph, name clashes resolved by renaming, scalar
    and one-dimensional integer initializers kept in their branch, both graphs as branches without inputs of an
    If on use_cache_branch (then: with past), the main graph taking the union of the inputs."""
    decoder, decoder_with_past = copy.deepcopy(decoder), copy.deepcopy(decoder_with_past)
    models = [decoder, decoder_with_past]
    by_content = {}
    for m, model in enumerate(models):
        for init in model.graph.initializer:
            key = hashlib.sha256(repr((init.data_type, list(init.dims))).encode()
                                 + numpy_helper.to_array(init).tobytes()).hexdigest()
            by_content.setdefault(key, []).append((m, init.name))
    renames = [{}, {}]
    shared = []
    taken = set()
    for key, owners in by_content.items():
        if len({m for m, _ in owners}) < 2:
            continue
        m0, name0 = owners[0]
        new = name0 if name0 not in taken else "merged_" + name0
        taken.add(new)
        for m, name in owners:
            renames[m][name] = new
        init = next(i for i in models[m0].graph.initializer if i.name == name0)
        copied = copy.deepcopy(init)
        copied.name = new
        shared.append(copied)
    main_inits = list(shared)
    branch_inits = [[], []]
    for m, model in enumerate(models):
        suffix = ("_no_past", "_with_past")[m]
        for init in model.graph.initializer:
            if init.name in renames[m]:
                continue
            copied = copy.deepcopy(init)
            small = len(init.dims) == 0 or (len(init.dims) == 1 and init.data_type in (6, 7))
            if not small:
                new = init.name if init.name not in taken else init.name + suffix
                taken.add(new)
                renames[m][init.name] = new
                copied.name = new
                main_inits.append(copied)
            else:
                branch_inits[m].append(copied)
        for node in model.graph.node:
            node.input[:] = [renames[m].get(n, n) for n in node.input]
    no_past_branch = helper.make_graph(list(decoder.graph.node), "no_past", [], list(decoder.graph.output),
                                       initializer=branch_inits[0])
    with_past_branch = helper.make_graph(list(decoder_with_past.graph.node), "with_past", [],
                                         list(decoder_with_past.graph.output), initializer=branch_inits[1])
    inputs = list(decoder_with_past.graph.input)
    for i in inputs:
        if i.name == "attention_mask":
            i.type.tensor_type.shape.dim[1].dim_param = "attention_mask_sequence_length"
    use_cache = helper.make_tensor_value_info("use_cache_branch", TensorProto.BOOL, [1])
    if_node = helper.make_node("If", ["use_cache_branch"], [o.name for o in decoder.graph.output],
                               name="optimum::if", then_branch=with_past_branch, else_branch=no_past_branch)
    outputs = copy.deepcopy(list(decoder.graph.output))
    for o in outputs:
        for d in o.type.tensor_type.shape.dim:
            if d.dim_param.startswith("sequence_length") or d.dim_param.startswith("past_sequence_length"):
                d.dim_param = d.dim_param.replace(" ", "_") if o.name == "logits" else "present_sequence_length"
    graph = helper.make_graph([if_node], "merged", inputs + [use_cache], outputs, initializer=main_inits)
    merged = helper.make_model(graph, opset_imports=list(decoder.opset_import), producer_name="optimum-onnx")
    merged.ir_version = decoder.ir_version
    onnx.checker.check_model(merged)
    return merged


def save(model, *path):
    target = os.path.join(OUT, *path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    onnx.save(model, target)


def write_json(value, *path):
    target = os.path.join(OUT, *path)
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with open(target, "w") as f:
        json.dump(value, f, separators=(",", ":"), sort_keys=True)
        f.write("\n")


def decoder_golden(model, name):
    loss = train(model)
    max_new = 12
    alone = [(tokens[0], gap) for tokens, gap in (greedy(model, [p], max_new) for p in PROMPTS)]
    batched, batch_gap = greedy(model, PROMPTS, max_new)
    for (tokens, _), b in zip(alone, batched):
        assert tokens == b, "%s: batched greedy differs from alone: %s vs %s" % (name, tokens, b)
    gap = min(min(g for _, g in alone), batch_gap)
    assert gap > 1e-2, "%s: a greedy choice is too close to call (%g)" % (name, gap)
    return {"model": name, "training_loss": round(loss, 4), "max_new_tokens": max_new,
            "min_top2_gap": round(gap, 4),
            "cases": [{"prompt": p, "ids": t, "text": decode(t)} for p, (t, _) in zip(PROMPTS, alone)]}


def fp16_cache_variant(model):
    """The with-past export with float16 past inputs and present outputs (casts at the edges)."""
    model = copy.deepcopy(model)
    g = model.graph
    casts = []
    for i in g.input:
        if i.name.startswith("past_key_values."):
            i.type.tensor_type.elem_type = TensorProto.FLOAT16
            inner = i.name + "_fp32"
            for node in g.node:
                node.input[:] = [inner if n == i.name else n for n in node.input]
            casts.append(helper.make_node("Cast", [i.name], [inner], to=TensorProto.FLOAT))
    for o in g.output:
        if o.name.startswith("present."):
            o.type.tensor_type.elem_type = TensorProto.FLOAT16
            inner = o.name + "_fp32"
            for node in g.node:
                node.output[:] = [inner if n == o.name else n for n in node.output]
                node.input[:] = [inner if n == o.name else n for n in node.input]
            casts.append(helper.make_node("Cast", [inner], [o.name], to=TensorProto.FLOAT16))
    nodes = list(g.node)
    del g.node[:]
    g.node.extend([c for c in casts if c.input[0].startswith("past_key_values.")] + nodes
                  + [c for c in casts if not c.input[0].startswith("past_key_values.")])
    onnx.checker.check_model(model)
    return model


def no_present_variant(model):
    model = copy.deepcopy(model)
    keep = [o for o in model.graph.output if o.name == "logits"]
    del model.graph.output[:]
    model.graph.output.extend(keep)
    return model


def external_data_variant(model):
    from onnx.external_data_helper import convert_model_to_external_data
    model = copy.deepcopy(model)
    convert_model_to_external_data(model, all_tensors_to_one_file=True, location="external-data.onnx.data",
                                   size_threshold=1024)
    return model


def decoders():
    torch.manual_seed(1234)
    gpt2 = Gpt2(len(WORDS))
    gpt2_golden = decoder_golden(gpt2, "gpt2")
    no_past, with_past = export_decoders(gpt2)
    save(no_past, "gpt2", "decoder_model.onnx")
    save(with_past, "gpt2", "decoder_with_past_model.onnx")
    save(merge_decoders(no_past, with_past), "gpt2", "decoder_model_merged.onnx")
    write_json(gpt2_golden, "gpt2", "expected.json")
    with open(os.path.join(OUT, "gpt2", "tokenizer.json"), "w") as f:
        json.dump(word_tokenizer(WORDS), f, indent=1, sort_keys=True)
        f.write("\n")
    save(fp16_cache_variant(with_past), "gpt2", "errors", "fp16-cache.onnx")
    save(no_present_variant(with_past), "gpt2", "errors", "no-present.onnx")
    external = external_data_variant(with_past)
    data = os.path.join(OUT, "gpt2", "errors", "external-data.onnx.data")
    if os.path.exists(data):
        os.remove(data)  # onnx.save appends to an existing external data file
    onnx.save(external, os.path.join(OUT, "gpt2", "errors", "external-data.onnx"))
    with open(os.path.join(OUT, "gpt2", "errors", "tokenizer-too-big.json"), "w") as f:
        json.dump(word_tokenizer(WORDS + ["zebra", "yacht"]), f, indent=1, sort_keys=True)
        f.write("\n")

    torch.manual_seed(4321)
    llama = Llama(len(WORDS))
    llama_golden = decoder_golden(llama, "llama")
    _, llama_with_past = export_decoders(llama)
    save(llama_with_past, "llama", "decoder_with_past_model.onnx")
    write_json(llama_golden, "llama", "expected.json")
    with open(os.path.join(OUT, "llama", "tokenizer.json"), "w") as f:
        json.dump(word_tokenizer(WORDS), f, indent=1, sort_keys=True)
        f.write("\n")


# ---- CLIP vision tower ----------------------------------------------------------------------------------------

def quick_gelu(x):
    return x * torch.sigmoid(1.702 * x)


class ClipLayer(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.layer_norm1 = nn.LayerNorm(d)
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.layer_norm2 = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, 4 * d)
        self.fc2 = nn.Linear(4 * d, d)

    def attention(self, x, bias):
        b, s, d = x.shape

        def heads(t):
            return t.view(b, s, self.heads, self.head_dim).transpose(1, 2)

        q = heads(self.q_proj(x) * self.head_dim ** -0.5)
        w = torch.matmul(q, heads(self.k_proj(x)).transpose(2, 3))
        if bias is not None:
            w = w + bias
        w = F.softmax(w, dim=-1)
        out = torch.matmul(w, heads(self.v_proj(x))).transpose(1, 2).reshape(b, s, d)
        return self.out_proj(out)

    def forward(self, x, bias=None):
        x = x + self.attention(self.layer_norm1(x), bias)
        return x + self.fc2(quick_gelu(self.fc1(self.layer_norm2(x))))


class ClipVision(nn.Module):
    def __init__(self, image=32, patch=8, d=32, layers=2, heads=4, projection=16):
        super().__init__()
        self.patch_embedding = nn.Conv2d(3, d, kernel_size=patch, stride=patch, bias=False)
        self.class_embedding = nn.Parameter(torch.randn(d))
        patches = (image // patch) ** 2
        self.position_embedding = nn.Embedding(patches + 1, d)
        self.register_buffer("position_ids", torch.arange(patches + 1).view(1, -1), persistent=False)
        self.pre_layrnorm = nn.LayerNorm(d)
        self.layers = nn.ModuleList([ClipLayer(d, heads) for _ in range(layers)])
        self.post_layernorm = nn.LayerNorm(d)
        self.visual_projection = nn.Linear(d, projection, bias=False)

    def forward(self, pixel_values):
        patches = self.patch_embedding(pixel_values).flatten(2).transpose(1, 2)
        cls = self.class_embedding.expand(pixel_values.shape[0], 1, -1)
        x = torch.cat([cls, patches], dim=1) + self.position_embedding(self.position_ids)
        x = self.pre_layrnorm(x)
        for layer in self.layers:
            x = layer(x)
        pooled = self.post_layernorm(x[:, 0, :])
        return self.visual_projection(pooled), x


CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def png(rgb):
    """An 8-bit RGB PNG of an [h, w, 3] uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def vision_images():
    n = 32
    yy, xx = np.mgrid[0:n, 0:n]
    gradient = np.stack([xx * 8, yy * 8, (xx + yy) * 4], axis=-1).astype(np.uint8)
    checker = np.where(((xx // 4 + yy // 4) % 2 == 0)[..., None], [240, 240, 235], [20, 60, 120]).astype(np.uint8)
    noise = np.random.default_rng(5).integers(0, 256, (n, n, 3)).astype(np.uint8)
    disc = np.where((((xx - 15.5) ** 2 + (yy - 15.5) ** 2) < 100)[..., None], [230, 40, 30],
                    [30, 120, 60]).astype(np.uint8)
    return {"gradient": gradient, "checker": checker, "noise": noise, "disc": disc}


def vision():
    torch.manual_seed(99)
    model = ClipVision().eval()
    images = vision_images()
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    golden = {"mean": CLIP_MEAN, "std": CLIP_STD, "cases": []}
    for name, rgb in images.items():
        with open(os.path.join(OUT, "clip-vision", name + ".png"), "wb") as f:
            f.write(png(rgb))
        # the worker's preprocessing: value * (1 / 255) in float32, then (v - mean) / std
        pixels = torch.from_numpy(rgb.astype(np.float32)).permute(2, 0, 1).unsqueeze(0)
        pixels = (pixels * np.float32(1.0 / 255) - mean) / std
        with torch.no_grad():
            embeds, hidden = model(pixels)
        golden["cases"].append({"image": name + ".png", "image_embeds": [round(float(v), 7) for v in embeds[0]],
                                "class_token": [round(float(v), 7) for v in hidden[0, 0]]})
    example = torch.zeros(2, 3, 32, 32)
    save(export(model, (example,), ["pixel_values"], ["image_embeds", "last_hidden_state"],
                {"pixel_values": {0: "batch_size", 1: "num_channels", 2: "height", 3: "width"},
                 "image_embeds": {0: "batch_size"},
                 "last_hidden_state": {0: "batch_size"}}), "clip-vision", "model.onnx")
    write_json(golden, "clip-vision", "expected.json")


# ---- latent diffusion -----------------------------------------------------------------------------------------

DIFFUSION_WORDS = ["<|startoftext|>", "<unk>", "a", "blue", "bright", "dark", "forest", "green", "house", "moon",
                   "mountain", "night", "over", "red", "river", "sky", "small", "sun", "the", "tree",
                   "<|endoftext|>"]
TEXT_LENGTH = 8
HIDDEN = 32
LATENT_CHANNELS = 4
VAE_SCALING = 0.18215
VAE_FACTOR = 4
T = 1000
BETA_START, BETA_END = 0.00085, 0.012
MASK64 = (1 << 64) - 1


def diffusion_tokenizer():
    ids = {w: i for i, w in enumerate(DIFFUSION_WORDS)}
    special = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ("<|startoftext|>", "<unk>", "<|endoftext|>")]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": {"type": "TemplateProcessing",
                               "single": [{"SpecialToken": {"id": "<|startoftext|>", "type_id": 0}},
                                          {"Sequence": {"id": "A", "type_id": 0}},
                                          {"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
                               "pair": [{"Sequence": {"id": "A", "type_id": 0}},
                                        {"Sequence": {"id": "B", "type_id": 1}}],
                               "special_tokens": {
                                   "<|startoftext|>": {"id": "<|startoftext|>", "ids": [0],
                                                       "tokens": ["<|startoftext|>"]},
                                   "<|endoftext|>": {"id": "<|endoftext|>", "ids": [len(DIFFUSION_WORDS) - 1],
                                                     "tokens": ["<|endoftext|>"]}}},
            "decoder": None,
            "model": {"type": "WordLevel", "vocab": ids, "unk_token": "<unk>"}}


def diffusion_ids(text):
    ids = {w: i for i, w in enumerate(DIFFUSION_WORDS)}
    eos = ids["<|endoftext|>"]
    toks = [0] + [ids.get(w, 1) for w in text.lower().split()] + [eos]
    toks = toks[:TEXT_LENGTH]
    return toks + [eos] * (TEXT_LENGTH - len(toks))


class ClipTextEncoder(nn.Module):
    def __init__(self, vocab=len(DIFFUSION_WORDS), d=HIDDEN, layers=2, heads=4):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab, d)
        self.position_embedding = nn.Embedding(TEXT_LENGTH, d)
        self.register_buffer("position_ids", torch.arange(TEXT_LENGTH).view(1, -1), persistent=False)
        self.layers = nn.ModuleList([ClipLayer(d, heads) for _ in range(layers)])
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, input_ids):
        input_ids = input_ids.to(torch.long)
        s = input_ids.shape[1]
        x = self.token_embedding(input_ids) + self.position_embedding(self.position_ids[:, :s])
        causal = torch.full((s, s), MIN).triu(1)[None, None]
        for layer in self.layers:
            x = layer(x, causal)
        x = self.final_layer_norm(x)
        pooled = x[torch.arange(x.shape[0]), input_ids.argmax(dim=-1)]
        return x, pooled


def timestep_embedding(t, dim):
    """diffusers' get_timestep_embedding with flip_sin_to_cos=True, downscale_freq_shift=0."""
    half = dim // 2
    exponent = -math.log(10000) * torch.arange(half, dtype=torch.float32) / half
    emb = t[:, None].float() * torch.exp(exponent)[None, :]
    emb = torch.cat([torch.sin(emb), torch.cos(emb)], dim=-1)
    return torch.cat([emb[:, half:], emb[:, :half]], dim=-1)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout, temb=None, groups=8):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-5)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-5)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class CrossAttention(nn.Module):
    def __init__(self, d, context, heads):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(d, d, bias=False)
        self.to_k = nn.Linear(context, d, bias=False)
        self.to_v = nn.Linear(context, d, bias=False)
        self.to_out = nn.Linear(d, d)

    def forward(self, x, context=None):
        context = x if context is None else context
        b, n, d = x.shape
        hd = d // self.heads

        def split(t):
            return t.view(b, t.shape[1], self.heads, hd).transpose(1, 2)

        q, k, v = split(self.to_q(x)), split(self.to_k(context)), split(self.to_v(context))
        w = F.softmax(torch.matmul(q, k.transpose(-1, -2)) * hd ** -0.5, dim=-1)
        return self.to_out(torch.matmul(w, v).transpose(1, 2).reshape(b, n, d))


class Transformer2D(nn.Module):
    def __init__(self, c, context, heads=2, groups=8):
        super().__init__()
        self.norm = nn.GroupNorm(groups, c, eps=1e-6)
        self.proj_in = nn.Conv2d(c, c, 1)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(c), nn.LayerNorm(c), nn.LayerNorm(c)
        self.attn1 = CrossAttention(c, c, heads)
        self.attn2 = CrossAttention(c, context, heads)
        self.ff_proj = nn.Linear(c, 8 * c)
        self.ff_out = nn.Linear(4 * c, c)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x, context):
        b, c, h, w = x.shape
        y = self.proj_in(self.norm(x)).permute(0, 2, 3, 1).reshape(b, h * w, c)
        y = y + self.attn1(self.norm1(y))
        y = y + self.attn2(self.norm2(y), context)
        hidden, gate = self.ff_proj(self.norm3(y)).chunk(2, dim=-1)
        y = y + self.ff_out(hidden * F.gelu(gate))
        y = y.reshape(b, h, w, c).permute(0, 3, 1, 2)
        return x + self.proj_out(y)


class UNet(nn.Module):
    def __init__(self, c=16, temb=32):
        super().__init__()
        self.c = c
        self.linear_1 = nn.Linear(c, temb)
        self.linear_2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c, 3, padding=1)
        self.down_res = ResnetBlock(c, c, temb)
        self.down_attn = Transformer2D(c, HIDDEN)
        self.downsample = nn.Conv2d(c, c, 3, stride=2, padding=1)
        self.mid_res1 = ResnetBlock(c, 2 * c, temb)
        self.mid_attn = Transformer2D(2 * c, HIDDEN)
        self.mid_res2 = ResnetBlock(2 * c, 2 * c, temb)
        self.upsample_conv = nn.Conv2d(2 * c, 2 * c, 3, padding=1)
        self.up_res = ResnetBlock(3 * c, c, temb)
        self.up_attn = Transformer2D(c, HIDDEN)
        self.conv_norm_out = nn.GroupNorm(8, c)
        self.conv_out = nn.Conv2d(c, LATENT_CHANNELS, 3, padding=1)

    def forward(self, sample, timestep, encoder_hidden_states):
        t = timestep.expand(sample.shape[0])
        emb = self.linear_2(F.silu(self.linear_1(timestep_embedding(t, self.c))))
        x = self.conv_in(sample)
        skip = self.down_attn(self.down_res(x, emb), encoder_hidden_states)
        x = self.downsample(skip)
        x = self.mid_res2(self.mid_attn(self.mid_res1(x, emb), encoder_hidden_states), emb)
        x = self.upsample_conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))
        x = self.up_attn(self.up_res(torch.cat([x, skip], dim=1), emb), encoder_hidden_states)
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class SpatialAttention(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.group_norm = nn.GroupNorm(8, c, eps=1e-6)
        self.attn = CrossAttention(c, c, 1)

    def forward(self, x):
        b, c, h, w = x.shape
        y = self.group_norm(x).view(b, c, h * w).transpose(1, 2)
        return x + self.attn(y).transpose(1, 2).view(b, c, h, w)


class VaeDecoder(nn.Module):
    def __init__(self, c=16):
        super().__init__()
        self.post_quant_conv = nn.Conv2d(LATENT_CHANNELS, LATENT_CHANNELS, 1)
        self.conv_in = nn.Conv2d(LATENT_CHANNELS, c, 3, padding=1)
        self.mid_res1 = ResnetBlock(c, c)
        self.mid_attn = SpatialAttention(c)
        self.mid_res2 = ResnetBlock(c, c)
        self.up = nn.ModuleList([ResnetBlock(c, c) for _ in range(2)])
        self.up_conv = nn.ModuleList([nn.Conv2d(c, c, 3, padding=1) for _ in range(2)])
        self.conv_norm_out = nn.GroupNorm(8, c, eps=1e-6)
        self.conv_out = nn.Conv2d(c, 3, 3, padding=1)

    def forward(self, latent_sample):
        x = self.conv_in(self.post_quant_conv(latent_sample))
        x = self.mid_res2(self.mid_attn(self.mid_res1(x)))
        for res, conv in zip(self.up, self.up_conv):
            x = conv(F.interpolate(res(x), scale_factor=2.0, mode="nearest"))
        return self.conv_out(F.silu(self.conv_norm_out(x)))


class SplittableRandom:
    """java.util.SplittableRandom's nextDouble, as the worker's GaussianNoise uses it."""
    GOLDEN = 0x9e3779b97f4a7c15

    def __init__(self, seed):
        self.seed = seed & MASK64

    @staticmethod
    def mix64(z):
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & MASK64
        return z ^ (z >> 31)

    def next_double(self):
        self.seed = (self.seed + self.GOLDEN) & MASK64
        return (self.mix64(self.seed) >> 11) * (1.0 / (1 << 53))


def noise(seed, n):
    r = SplittableRandom(seed)
    out = []
    while len(out) < n:
        u1, u2 = r.next_double(), r.next_double()
        rad = math.sqrt(-2.0 * math.log(1.0 - u1))
        out.append(rad * math.cos(2 * math.pi * u2))
        out.append(rad * math.sin(2 * math.pi * u2))
    return np.array(out[:n], dtype=np.float64)


def alphas_cumprod():
    betas = np.linspace(math.sqrt(BETA_START), math.sqrt(BETA_END), T, dtype=np.float64) ** 2
    return np.cumprod(1.0 - betas)


@torch.no_grad()
def draw(text_encoder, unet, vae, case):
    """PyTorch's denoising loop: DDIM (eta 0, leading spacing, steps_offset 1, set_alpha_to_one False) or Euler
    (linspace timesteps, interpolated sigmas), scheduler arithmetic in float64, models in float32."""
    guided = case["guidance"] != 1.0
    prompts = ([case["negative"] or ""] if guided else []) + [case["prompt"]]
    ids = torch.tensor([diffusion_ids(p) for p in prompts], dtype=torch.int32)
    states, _ = text_encoder(ids)
    lh, lw = case["height"] // VAE_FACTOR, case["width"] // VAE_FACTOR
    cells = LATENT_CHANNELS * lh * lw
    x = noise(case["seed"], cells)
    ac = alphas_cumprod()
    steps = case["steps"]

    def eps(sample, t):
        s = torch.from_numpy(sample.astype(np.float32)).view(1, LATENT_CHANNELS, lh, lw).repeat(len(prompts), 1, 1, 1)
        out = unet(s, torch.full((len(prompts),), float(t), dtype=torch.float32), states).double().numpy()
        out = out.reshape(len(prompts), cells)
        return out[0] + case["guidance"] * (out[1] - out[0]) if guided else out[0]

    if case["scheduler"] == "DDIM":
        ratio = T // steps
        for k in range(steps):
            t = (steps - 1 - k) * ratio + 1
            e = eps(x, t)
            a_t = ac[t]
            a_prev = ac[t - ratio] if t - ratio >= 0 else ac[0]
            x0 = (x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t)
            x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * e
    else:
        timesteps = np.linspace(0, T - 1, steps, dtype=np.float64)[::-1]
        sigmas = np.append(np.interp(timesteps, np.arange(T), np.sqrt((1 - ac) / ac)), 0.0)
        x = x * sigmas[0]
        for i, t in enumerate(timesteps):
            e = eps(x / math.sqrt(sigmas[i] ** 2 + 1), t)
            x = x + e * (sigmas[i + 1] - sigmas[i])
    latent = torch.from_numpy((x / VAE_SCALING).astype(np.float32)).view(1, LATENT_CHANNELS, lh, lw)
    image = vae(latent)[0].numpy()
    pixels = np.floor(np.clip((image.astype(np.float64) + 1.0) / 2.0, 0.0, 1.0) * 255.0 + 0.5).astype(int)
    return pixels.transpose(1, 2, 0).tolist()


DIFFUSION_CASES = [
    {"name": "ddim-cfg", "prompt": "a red house over the river", "negative": "dark night", "seed": 7,
     "steps": 6, "guidance": 4.0, "scheduler": "DDIM", "width": 32, "height": 32},
    {"name": "euler-cfg", "prompt": "green forest", "negative": None, "seed": 11, "steps": 6, "guidance": 2.5,
     "scheduler": "EULER", "width": 24, "height": 32},
    {"name": "ddim-plain", "prompt": "the moon over a small mountain", "negative": None, "seed": 3, "steps": 4,
     "guidance": 1.0, "scheduler": "DDIM", "width": 32, "height": 16},
]


def diffusion():
    torch.manual_seed(2024)
    text_encoder, unet, vae = ClipTextEncoder().eval(), UNet().eval(), VaeDecoder().eval()
    with torch.no_grad():
        # a random UNet predicts noise far from unit scale; bring it near, as a trained one is
        unet.conv_out.weight.mul_(0.5)
    ids = torch.tensor([diffusion_ids("a red house"), diffusion_ids("")], dtype=torch.int32)
    save(export(text_encoder, (ids,), ["input_ids"], ["last_hidden_state", "pooler_output"],
                {"input_ids": {0: "batch", 1: "sequence"}}), "diffusion", "text_encoder", "model.onnx")
    save(export(unet, (torch.randn(2, LATENT_CHANNELS, 8, 6, generator=torch.Generator().manual_seed(1)),
                       torch.tensor([981.0, 981.0]), torch.randn(2, TEXT_LENGTH, HIDDEN,
                                                               generator=torch.Generator().manual_seed(2))),
                ["sample", "timestep", "encoder_hidden_states"], ["out_sample"],
                {"sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}, "timestep": {0: "batch"},
                 "encoder_hidden_states": {0: "batch", 1: "sequence"}}), "diffusion", "unet", "model.onnx")
    save(export(vae, (torch.randn(1, LATENT_CHANNELS, 6, 4, generator=torch.Generator().manual_seed(3)),),
                ["latent_sample"], ["sample"],
                {"latent_sample": {0: "batch", 1: "channels", 2: "height", 3: "width"}}),
         "diffusion", "vae_decoder", "model.onnx")
    with open(os.path.join(OUT, "diffusion", "tokenizer.json"), "w") as f:
        json.dump(diffusion_tokenizer(), f, indent=1, sort_keys=True)
        f.write("\n")
    cases = []
    for case in DIFFUSION_CASES:
        pixels = draw(text_encoder, unet, vae, case)
        flat = np.array(pixels).ravel()
        assert 0.05 < np.mean((flat > 0) & (flat < 255)) and np.std(flat) > 10, "degenerate image " + case["name"]
        cases.append(dict(case, pixels=pixels))
    write_json({"text_sequence_length": TEXT_LENGTH, "vae_scaling": VAE_SCALING, "vae_scale_factor": VAE_FACTOR,
                "cases": cases}, "diffusion", "expected.json")


if __name__ == "__main__":
    os.makedirs(os.path.join(OUT, "clip-vision"), exist_ok=True)
    decoders()
    vision()
    diffusion()
