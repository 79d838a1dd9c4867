#!/usr/bin/python3
"""Writes the toy latent-diffusion fixture under worker/src/test/resources/texttoimage/:

- toy-text-encoder.onnx: input_ids [B, L] int64 -> last_hidden_state [B, L, 2] = rows of a fixed table E;
- toy-unet.onnx: sample [B, 1, h, w], timestep [B] float, encoder_hidden_states [B, L, 2] ->
  out_sample = A * sample + B * mean(encoder_hidden_states) + C * timestep (a closed-form "noise prediction");
- toy-vae-decoder.onnx: latent_sample [B, 1, h, w] -> sample [B, 3, 2h, 2w] = per-channel W[c] * x + O[c],
  upsampled 2x (nearest);
- toy-tokenizer.json: a WordLevel tokenizer with <pad>;
- expected.json: the pixels a correct worker produces for a few requests, computed here by an independent
  numpy implementation of the same loop (the noise generator, DDIM and Euler as in diffusers, classifier-free
  guidance, the VAE scaling and the pixel mapping), in float64 with float32 model arithmetic.

The noise generator (also in the worker's GaussianNoise): java.util.SplittableRandom(seed).nextDouble() pairs
through Box-Muller, z0 = sqrt(-2 ln(1 - u1)) * cos(2 pi u2), z1 = ... sin(...).

Deterministic. Run: /usr/bin/python3 tools/toy_latent_diffusion.py
"""
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "worker", "src", "test", "resources", "texttoimage")
VOCAB = ["<pad>", "<unk>", "red", "green", "blue", "sky", "sea", "sun", "dark", "bright"]
L = 4
A, B, C = 0.5, 1.0, 0.0002
E = np.zeros((len(VOCAB), 2), dtype=np.float32)
for i in range(len(VOCAB)):
    E[i] = [0.05 * i, -0.02 * i]
W = np.array([1.0, 0.5, -0.8], dtype=np.float32)
O = np.array([0.0, 0.1, -0.1], dtype=np.float32)
SCALING = 4.0
T = 1000
BETA_START, BETA_END = 0.00085, 0.012
MASK64 = (1 << 64) - 1


def save(model, name):
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(OUT, name))


def text_encoder():
    g = helper.make_graph(
        [helper.make_node("Gather", ["E", "input_ids"], ["last_hidden_state"])], "toy_text_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", 2])],
        initializer=[numpy_helper.from_array(E, "E")])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools"),
         "toy-text-encoder.onnx")


def unet():
    inits = [numpy_helper.from_array(np.array(v, dtype=np.float32), n) for n, v in (("a", A), ("b", B), ("c", C))]
    inits.append(numpy_helper.from_array(np.array([-1, 1, 1, 1], dtype=np.int64), "bshape"))
    nodes = [
        helper.make_node("Mul", ["sample", "a"], ["as"]),
        helper.make_node("ReduceMean", ["encoder_hidden_states"], ["m"], axes=[1, 2], keepdims=0),
        helper.make_node("Reshape", ["m", "bshape"], ["m4"]),
        helper.make_node("Mul", ["m4", "b"], ["bm"]),
        helper.make_node("Mul", ["timestep", "c"], ["ct"]),
        helper.make_node("Reshape", ["ct", "bshape"], ["ct4"]),
        helper.make_node("Add", ["as", "bm"], ["s1"]),
        helper.make_node("Add", ["s1", "ct4"], ["out_sample"]),
    ]
    g = helper.make_graph(nodes, "toy_unet", [
        helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 1, "h", "w"]),
        helper.make_tensor_value_info("timestep", TensorProto.FLOAT, ["batch"]),
        helper.make_tensor_value_info("encoder_hidden_states", TensorProto.FLOAT, ["batch", "tokens", 2]),
    ], [helper.make_tensor_value_info("out_sample", TensorProto.FLOAT, ["batch", 1, "h", "w"])], initializer=inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools"),
         "toy-unet.onnx")


def vae_decoder():
    inits = [numpy_helper.from_array(W.reshape(1, 3, 1, 1), "w"), numpy_helper.from_array(O.reshape(1, 3, 1, 1), "o"),
             numpy_helper.from_array(np.array([1, 1, 2, 2], dtype=np.float32), "scales"),
             numpy_helper.from_array(np.array([], dtype=np.float32), "roi")]
    nodes = [
        helper.make_node("Mul", ["latent_sample", "w"], ["x3"]),
        helper.make_node("Add", ["x3", "o"], ["y"]),
        helper.make_node("Resize", ["y", "roi", "scales"], ["sample"], mode="nearest"),
    ]
    g = helper.make_graph(nodes, "toy_vae_decoder",
                          [helper.make_tensor_value_info("latent_sample", TensorProto.FLOAT, ["batch", 1, "h", "w"])],
                          [helper.make_tensor_value_info("sample", TensorProto.FLOAT, ["batch", 3, "H", "W"])],
                          initializer=inits)
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools"),
         "toy-vae-decoder.onnx")


def tokenizer():
    ids = {w: i for i, w in enumerate(VOCAB)}
    special = [{"id": ids[t], "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                "normalized": False, "special": True} for t in ("<pad>", "<unk>")]
    return {"version": "1.0", "truncation": None, "padding": None, "added_tokens": special,
            "normalizer": {"type": "Lowercase"}, "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None, "decoder": None,
            "model": {"type": "WordLevel", "vocab": ids, "unk_token": "<unk>"}}


# ---- reference implementation -------------------------------------------------------------------------------

class SplittableRandom:
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


def embed(prompt):
    ids = {w: i for i, w in enumerate(VOCAB)}
    toks = [ids.get(w, 1) for w in prompt.lower().split()][:L]
    toks += [0] * (L - len(toks))
    return float(np.mean(E[toks].astype(np.float32)))


def eps(x, t, m):
    return (np.float32(A) * x.astype(np.float32) + np.float32(B) * np.float32(m)
            + np.float32(C) * np.float32(t)).astype(np.float64)


def guided(x, t, cond, uncond, g):
    if g == 1.0:
        return eps(x, t, cond)
    e_u, e_c = eps(x, t, uncond), eps(x, t, cond)
    return e_u + g * (e_c - e_u)


def generate(prompt, negative, seed, steps, guidance, scheduler, width, height):
    h, w = height // 2, width // 2
    x = noise(seed, h * w)
    cond, uncond = embed(prompt), embed(negative or "")
    ac = alphas_cumprod()
    if scheduler == "DDIM":
        ratio = T // steps
        timesteps = (np.arange(0, steps) * ratio).round()[::-1].astype(np.int64) + 1
        for t in timesteps:
            e = guided(x, float(t), cond, uncond, guidance)
            prev = t - ratio
            a_t = ac[t]
            a_prev = ac[prev] if prev >= 0 else ac[0]
            x0 = (x - math.sqrt(1 - a_t) * e) / math.sqrt(a_t)
            x = math.sqrt(a_prev) * x0 + math.sqrt(1 - a_prev) * e
    else:
        timesteps = np.linspace(0, T - 1, steps, dtype=np.float64)[::-1]
        sigmas_all = np.sqrt((1 - ac) / ac)
        sigmas = np.interp(timesteps, np.arange(T), sigmas_all)
        sigmas = np.append(sigmas, 0.0)
        x = x * sigmas[0]
        for i, t in enumerate(timesteps):
            scaled = x / math.sqrt(sigmas[i] ** 2 + 1)
            e = guided(scaled, float(t), cond, uncond, guidance)
            x = x + e * (sigmas[i + 1] - sigmas[i])
    latent = (x / SCALING).astype(np.float32).reshape(h, w)
    pixels = []
    for y in range(height):
        row = []
        for xx in range(width):
            v = latent[y // 2, xx // 2]
            rgb = []
            for c in range(3):
                s = float(np.float32(W[c]) * v + np.float32(O[c]))
                f = min(1.0, max(0.0, (s + 1.0) / 2.0)) * 255.0
                frac = f - math.floor(f)
                assert abs(frac - 0.5) > 1e-3 or f in (0.0, 255.0), "too close to a rounding boundary: %r" % f
                rgb.append(int(math.floor(f + 0.5)))
            row.append(rgb)
        pixels.append(row)
    return pixels


CASES = [
    {"name": "ddim-cfg", "prompt": "red sky", "negative": "dark", "seed": 7, "steps": 10, "guidance": 3.0,
     "scheduler": "DDIM", "width": 8, "height": 6},
    {"name": "euler-cfg", "prompt": "blue sea", "negative": None, "seed": 11, "steps": 12, "guidance": 2.0,
     "scheduler": "EULER", "width": 6, "height": 8},
    {"name": "ddim-no-guidance", "prompt": "bright sun", "negative": None, "seed": 3, "steps": 5, "guidance": 1.0,
     "scheduler": "DDIM", "width": 4, "height": 4},
]

if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    text_encoder()
    unet()
    vae_decoder()
    with open(os.path.join(OUT, "toy-tokenizer.json"), "w") as f:
        json.dump(tokenizer(), f, indent=1, sort_keys=True)
        f.write("\n")
    expected = []
    for case in CASES:
        expected.append(dict(case, pixels=generate(case["prompt"], case["negative"], case["seed"], case["steps"],
                                                   case["guidance"], case["scheduler"], case["width"],
                                                   case["height"])))
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, separators=(",", ":"))
        f.write("\n")
