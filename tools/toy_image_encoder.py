#!/usr/bin/python3
"""Writes the toy image-encoder fixture under worker/src/test/resources/imageembedding/:

- toy-image-encoder.onnx: pixel_values [B, 3, 8, 8] float ->
    features  [B, 4, 4, 4] = Conv(pixel_values, K, stride 2) + kb   (a tiny CNN backbone)
    embedding [B, 5]       = Flatten(pixel_values) @ M + mb          (a tiny "projection head")
- toy-image-encoder-nhwc.onnx: the same model taking pixel_values [B, 8, 8, 3] (a Transpose in front);
- red.png, gradient.png, checker.png (8 x 8) and large.png (16 x 16, which the worker halves with bilinear
  sampling, whose weights are exactly 1/2 at that scale);
- gradient.webp: gradient.png as lossless WebP (Debian's webp package, cwebp -lossless -exact), which must embed
  exactly as the PNG does;
- expected.json: for each manifest model key of toy-image-encoder.yaml and each image, the vector a correct
  worker returns, computed here with numpy: decode (the PNGs are written here, so their pixels are known),
  resize, (v * rescale - mean) / std per channel in the declared order, the model, pooling, L2 normalisation.

Deterministic. Run: /usr/bin/python3 tools/toy_image_encoder.py (needs Debian's python3-onnx, python3-numpy
and webp).
"""
import json
import os
import struct
import subprocess
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "worker", "src", "test", "resources", "imageembedding")

rng = np.random.default_rng(20240715)
K = rng.normal(0, 0.5, size=(4, 3, 2, 2)).astype(np.float32)
KB = rng.normal(0, 0.1, size=(4,)).astype(np.float32)
M = rng.normal(0, 0.1, size=(192, 5)).astype(np.float32)
MB = rng.normal(0, 0.1, size=(5,)).astype(np.float32)

# the manifest entries of toy-image-encoder.yaml: key -> preprocessing and output
MODELS = {
    "toy-embedding": dict(nhwc=False, bgr=False, mean=[0.5, 0.4, 0.3], std=[0.2, 0.25, 0.5],
                          output="embedding", pooling="none", normalize=False),
    "toy-features-mean": dict(nhwc=False, bgr=False, mean=[0.5, 0.4, 0.3], std=[0.2, 0.25, 0.5],
                              output="features", pooling="mean", normalize=True),
    "toy-nhwc-bgr": dict(nhwc=True, bgr=True, mean=[0.3, 0.4, 0.5], std=[0.5, 0.25, 0.2],
                         output="embedding", pooling="none", normalize=True),
}


def graph(nhwc):
    nodes = []
    src = "pixel_values"
    if nhwc:
        nodes.append(helper.make_node("Transpose", ["pixel_values"], ["nchw"], perm=[0, 3, 1, 2]))
        src = "nchw"
    nodes += [
        helper.make_node("Conv", [src, "K", "KB"], ["features"], strides=[2, 2], kernel_shape=[2, 2]),
        helper.make_node("Flatten", [src], ["flat"], axis=1),
        helper.make_node("MatMul", ["flat", "M"], ["projected"]),
        helper.make_node("Add", ["projected", "MB"], ["embedding"]),
    ]
    shape = ["batch", 8, 8, 3] if nhwc else ["batch", 3, 8, 8]
    g = helper.make_graph(
        nodes, "toy_image_encoder",
        [helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["batch", 4, 4, 4]),
         helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["batch", 5])],
        initializer=[numpy_helper.from_array(K, "K"), numpy_helper.from_array(KB, "KB"),
                     numpy_helper.from_array(M, "M"), numpy_helper.from_array(MB, "MB")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="modelpool-tools")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def png(rgb):
    """An 8-bit RGB PNG of an [h, w, 3] uint8 array."""
    h, w, _ = rgb.shape
    raw = b"".join(b"\x00" + rgb[y].tobytes() for y in range(h))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def images():
    red = np.zeros((8, 8, 3), dtype=np.uint8)
    red[:, :] = [220, 30, 40]
    gradient = np.zeros((8, 8, 3), dtype=np.uint8)
    for y in range(8):
        for x in range(8):
            gradient[y, x] = [x * 32, y * 32, (x + y) * 16]
    checker = np.zeros((8, 8, 3), dtype=np.uint8)
    for y in range(8):
        for x in range(8):
            checker[y, x] = [255, 255, 255] if (x + y) % 2 == 0 else [10, 60, 110]
    large = np.zeros((16, 16, 3), dtype=np.uint8)
    for y in range(16):
        for x in range(16):
            large[y, x] = [(x * 16) % 256, (y * 16) % 256, ((x * y) * 3) % 256]
    return {"red.png": red, "gradient.png": gradient, "checker.png": checker, "large.png": large}


def halve(rgb):
    """Bilinear 2x downscale with half-pixel centres: each output pixel is the mean of a 2 x 2 block,
    computed as the worker does (two horizontal halves, then a vertical half, rounded half up)."""
    h, w, _ = rgb.shape
    v = rgb.astype(np.float32)
    top = v[0::2, 0::2] * 0.5 + v[0::2, 1::2] * 0.5
    bottom = v[1::2, 0::2] * 0.5 + v[1::2, 1::2] * 0.5
    return np.floor(top * 0.5 + bottom * 0.5 + 0.5).astype(np.uint8)


def embed(rgb, spec):
    if rgb.shape[0] != 8:
        rgb = halve(rgb)
    x = rgb.astype(np.float32)
    if spec["bgr"]:
        x = x[:, :, ::-1]
    mean = np.array(spec["mean"], dtype=np.float32)
    std = np.array(spec["std"], dtype=np.float32)
    x = (x * np.float32(1.0 / 255) - mean) / std
    chw = x.transpose(2, 0, 1).astype(np.float64)
    if spec["output"] == "embedding":
        v = chw.reshape(-1) @ M.astype(np.float64) + MB
    else:
        feats = np.zeros((4, 4, 4))
        for o in range(4):
            for i in range(4):
                for j in range(4):
                    feats[o, i, j] = np.sum(chw[:, 2 * i:2 * i + 2, 2 * j:2 * j + 2] * K[o]) + KB[o]
        v = feats.reshape(4, -1).mean(axis=1) if spec["pooling"] == "mean" else feats.reshape(-1)
    if spec["normalize"]:
        v = v / np.linalg.norm(v)
    return [float(f) for f in v]


def main():
    os.makedirs(OUT, exist_ok=True)
    onnx.save(graph(False), os.path.join(OUT, "toy-image-encoder.onnx"))
    onnx.save(graph(True), os.path.join(OUT, "toy-image-encoder-nhwc.onnx"))
    imgs = images()
    for name, rgb in imgs.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(png(rgb))
    subprocess.run(["cwebp", "-quiet", "-lossless", "-exact", os.path.join(OUT, "gradient.png"),
                    "-o", os.path.join(OUT, "gradient.webp")], check=True)
    expected = {key: {name: embed(rgb, spec) for name, rgb in imgs.items()} for key, spec in MODELS.items()}
    with open(os.path.join(OUT, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
