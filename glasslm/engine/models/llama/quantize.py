"""Quantization: storing weights in 8 or 4 bits, block by block, and what it costs.

Symmetric per-block absmax quantization, the idea behind llama.cpp's Q8_0 and
Q4_0 formats (ggml-quants.c): cut each row of a weight matrix into blocks of
`block` consecutive numbers; per block keep one scale d and one small integer
per weight:

    d = max|w| / qmax           qmax = 2^(bits-1) - 1   (127 for 8 bits, 7 for 4 bits)
    q = round(w / d)            an integer in [-qmax, qmax]
    w ~ q * d                   (d stored as a 16-bit float, as llama.cpp does)

Size in bytes: n * bits / 8 for the integers plus 2 * n / block for the
scales; at block 32 that is 8.5 bits per weight for 8-bit (exactly Q8_0's 34
bytes per 32 weights) and 4.5 for 4-bit (Q4_0's 18). The rounding error of a
weight is at most d / 2 (plus d's own 16-bit rounding), so a block with one
large weight loses precision for all its neighbours: smaller blocks, smaller
errors, more scales.

At 8 bits and block 32 the bytes are exactly those of the gguf package's
Q8_0 (checked bit for bit in tests/engine/test_quantize.py). The 4-bit format
here is the symmetric one (integers -7..7); llama.cpp's Q4_0 uses -8..7 with
a signed scale, and Q4_1 (what SmolLM2's GGUF mostly ships) adds a per-block
minimum instead of being symmetric.

Also here: the GGUF file's own tensor types (read from the file with the
`gguf` package), SmolLM2 with some matrices quantized (a new `Llama` over a
copy of the weights; the shared model is never touched), the KL divergence
between two next-token distributions, and the memory of fine-tuning
(full, LoRA, QLoRA) from formulas.

Left out: importance-weighted and k-quant formats (Q4_K etc.), NF4's
normal-float grid (QLoRA's 4-bit type; we say how it differs), and running
the matrix products in integers (here weights are dequantized to float32).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics.sampling import log_softmax

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

BITS = (8, 4)
MAX_BLOCK = 1536  # the widest row of SmolLM2's matrices (down_proj's input)
FP16_BYTES = 2  # one scale per block, stored as float16


@dataclass(frozen=True)
class Quantized:
    """A matrix as block scales and small integers."""

    q: np.ndarray  # (rows, cols) int8, values in [-qmax, qmax]
    scales: np.ndarray  # (rows, cols // block) float16
    bits: int
    block: int

    def dequantize(self) -> np.ndarray:
        """float32 (rows, cols): each integer times its block's scale."""
        rows, cols = self.q.shape
        d = self.scales.astype(np.float32)[:, :, None]  # (rows, nb, 1)
        return (self.q.reshape(rows, -1, self.block).astype(np.float32) * d).reshape(rows, cols)

    def packed(self) -> np.ndarray:
        """The integers as stored: int8 bytes for 8 bits, two 4-bit numbers per byte for 4 bits."""
        if self.bits == 8:
            return self.q.astype(np.int8).reshape(-1)
        nib = (self.q.astype(np.int16) + 8).astype(np.uint8).reshape(-1)  # 1..15: offset so it fits a nibble
        return nib[0::2] | (nib[1::2] << 4)  # (n/2,) uint8

    @property
    def nbytes(self) -> int:
        """Actual bytes of the stored arrays (packed integers + float16 scales)."""
        return int(self.packed().nbytes + self.scales.nbytes)


def size_bytes(n: int, bits: int, block: int) -> float:
    """Bytes for n weights from the formula: n*bits/8 + 2 * n/block."""
    return n * bits / 8 + FP16_BYTES * n / block


def check(bits: int, block: int, cols: int) -> None:
    if bits not in BITS:
        raise ValueError(f"bits must be one of {', '.join(map(str, BITS))}, got {bits!r}")
    if isinstance(block, bool) or not isinstance(block, (int, np.integer)) or not 1 <= block <= MAX_BLOCK:
        raise ValueError(f"block must be a whole number from 1 to {MAX_BLOCK}, got {block!r}")
    if cols % block:
        fits = [b for b in (8, 16, 32, 64, 96, 128, 192, 576) if cols % b == 0]
        raise ValueError(
            f"a row of {cols} weights does not split into blocks of {block}: "
            f"use a block size that divides {cols}, such as {', '.join(map(str, fits))}"
        )


def round_half_away(x: np.ndarray) -> np.ndarray:
    """Round to the nearest integer, halves away from zero (C's roundf, as ggml uses; numpy rounds to even)."""
    return np.trunc(x + np.copysign(0.5, x))


def quantize(w: np.ndarray, bits: int, block: int) -> Quantized:
    """Symmetric absmax quantization of w (rows, cols) in blocks of `block` along each row."""
    w = np.asarray(w, dtype=np.float32)
    if w.ndim != 2:
        raise ValueError(f"quantize expects a matrix (rows, cols), got shape {w.shape}")
    rows, cols = w.shape
    check(bits, block, cols)
    qmax = 2 ** (bits - 1) - 1
    blocks = w.reshape(rows, cols // block, block)  # (rows, nb, block)
    d = np.abs(blocks).max(axis=-1, keepdims=True) / np.float32(qmax)  # (rows, nb, 1) float32
    with np.errstate(divide="ignore"):
        inv = np.where(d == 0, np.float32(0), np.float32(1) / d)  # as ggml: q from the float32 scale
    q = np.clip(round_half_away(blocks * inv), -qmax, qmax).astype(np.int8)
    return Quantized(q.reshape(rows, cols), d[..., 0].astype(np.float16), bits, block)


def error_stats(w: np.ndarray, w_hat: np.ndarray) -> dict:
    """RMSE, largest absolute error, and the error relative to the weights' own RMS."""
    err = np.asarray(w_hat, np.float64) - np.asarray(w, np.float64)
    rms_w = float(np.sqrt(np.mean(np.square(w, dtype=np.float64))))
    rmse = float(np.sqrt(np.mean(err * err)))
    return {"rmse": rmse, "max_abs": float(np.abs(err).max()), "relative_rmse": rmse / rms_w if rms_w else 0.0}


def histogram(values: np.ndarray, bins: int = 60) -> dict:
    """Bin edges and counts of values (for drawing)."""
    counts, edges = np.histogram(np.asarray(values, np.float64).reshape(-1), bins=bins)
    return {"edges": edges.tolist(), "counts": counts.tolist()}


# ---------------------------------------------------------------- next-token distributions


def kl_divergence(logits_p: np.ndarray, logits_q: np.ndarray) -> float:
    """KL(p || q) = sum p (log p - log q) in nats, p and q the softmax of each logit vector."""
    lp, lq = log_softmax(logits_p), log_softmax(logits_q)
    return float(np.sum(np.exp(lp) * (lp - lq)))


# ---------------------------------------------------------------- SmolLM2's matrices

# Per-layer matrices by their checkpoint names, and where each lives in the fused,
# transposed arrays of gguf_weights.LayerWeights: (fused array, which part).
MATRICES = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")
GGUF_NAMES = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}


def _columns(cfg, name: str) -> tuple[str, int, int]:
    """(fused array, first column, last column + 1) of one matrix in the (in, out) layout."""
    q, kv, F = cfg.n_heads * cfg.head_dim, cfg.n_kv_heads * cfg.head_dim, cfg.d_ff
    return {
        "q_proj": ("qkv_proj", 0, q),
        "k_proj": ("qkv_proj", q, q + kv),
        "v_proj": ("qkv_proj", q + kv, q + 2 * kv),
        "o_proj": ("o_proj", 0, cfg.d_model),
        "gate_proj": ("gate_up_proj", 0, F),
        "up_proj": ("gate_up_proj", F, 2 * F),
        "down_proj": ("down_proj", 0, cfg.d_model),
    }[name]


def matrix_shape(cfg, name: str) -> tuple[int, int]:
    """(out, in) of one per-layer matrix, without copying it."""
    _, c0, c1 = _columns(cfg, name)
    return c1 - c0, (cfg.d_ff if name == "down_proj" else cfg.d_model)


def matrix(weights, layer: int, name: str) -> np.ndarray:
    """One of SmolLM2's weight matrices as in the checkpoint, (out, in) float32 (a copy)."""
    cfg = weights.config
    if name not in MATRICES:
        raise ValueError(f"unknown matrix {name!r}: choose one of {', '.join(MATRICES)}")
    if not 0 <= layer < cfg.n_layers:
        raise ValueError(f"layer must be from 0 to {cfg.n_layers - 1}, got {layer}")
    fused, c0, c1 = _columns(cfg, name)
    return np.ascontiguousarray(getattr(weights.layers[layer], fused)[:, c0:c1].T)


def quantized_weights(weights, selection, bits: int, block: int):
    """A copy of `weights` (LlamaWeights) with every (layer, name) in selection quantized and dequantized.

    A generator: yields (done, total) after each matrix and returns the new
    weights (`new = yield from quantized_weights(...)`). Only the fused arrays
    that change are copied; the rest stay shared, read-only views.
    """
    layers = list(weights.layers)
    copies: dict[tuple[int, str], np.ndarray] = {}
    for k, (layer, name) in enumerate(selection):
        fused, c0, c1 = _columns(weights.config, name)
        key = (layer, fused)
        if key not in copies:
            copies[key] = np.array(getattr(weights.layers[layer], fused))  # (in, out) float32, writable
        w = matrix(weights, layer, name)  # (out, in)
        copies[key][:, c0:c1] = quantize(w, bits, block).dequantize().T
        yield k + 1, len(selection)
    for (layer, fused), arr in copies.items():
        layers[layer] = replace(layers[layer], **{fused: arr})
    return replace(weights, layers=layers)


def read_tensor_types(path: str) -> dict[str, dict]:
    """GGUF tensor name -> {type, bytes, n}, read from the file itself (about 1 s to open)."""
    from glasslm.assets import open_gguf

    reader = open_gguf(path)
    return {
        t.name: {"type": t.tensor_type.name, "bytes": int(t.n_bytes), "n": int(t.n_elements)} for t in reader.tensors
    }


@functools.lru_cache(maxsize=1)
def gguf_tensor_types(path: str) -> dict[str, dict]:
    """`read_tensor_types`, once per process (the file does not change while we run)."""
    return read_tensor_types(path)


# ---------------------------------------------------------------- memory of fine-tuning

# Bytes per parameter in mixed-precision training with Adam: fp16 weights (2) and
# gradients (2), fp32 master weights, momentum and variance (4 + 4 + 4)
# (Rajbhandari et al. 2020, "ZeRO", Section 3.1).
ADAM_MIXED_BYTES = 16
# QLoRA's 4-bit NormalFloat with double quantization: 4 bits per weight plus
# 8/64 + 32/(64*256) = 0.127 bits of block constants (Dettmers et al. 2023, "QLoRA", Section 3).
NF4_DQ_BITS = 4 + 8 / 64 + 32 / (64 * 256)


def adapter_params(layers: int, d_model: int, n_heads: int, kv_heads: int, rank: int) -> int:
    """LoRA numbers on the four attention projections of every layer: r * (in + out) each."""
    head_dim = d_model // n_heads
    kv = kv_heads * head_dim
    per_layer = (d_model + d_model) + (d_model + kv) + (d_model + kv) + (d_model + d_model)  # q, k, v, o
    return layers * rank * per_layer


def finetune_memory(params: float, adapters: float) -> dict[str, float]:
    """Bytes to hold the weights and optimizer state (activations left out) for three recipes."""
    return {
        "full": ADAM_MIXED_BYTES * params,
        "lora": 2 * params + ADAM_MIXED_BYTES * adapters,  # frozen 16-bit base + trained adapters
        "qlora": NF4_DQ_BITS / 8 * params + ADAM_MIXED_BYTES * adapters,  # frozen 4-bit base + adapters
    }


def compare_next_token(reference_logits: np.ndarray, logits: np.ndarray, token_text, top: int = 10) -> dict:
    """KL(reference || changed), and the top tokens of each with both probabilities.

    token_text: a function id -> display text.
    """
    lp, lq = log_softmax(reference_logits), log_softmax(logits)
    p, q = np.exp(lp), np.exp(lq)
    order_p, order_q = np.argsort(-p, kind="stable")[:top], np.argsort(-q, kind="stable")[:top]
    row = lambda i: {"id": int(i), "token": token_text(int(i)), "p": float(p[i]), "p_quantized": float(q[i])}  # noqa: E731
    return {
        "kl": kl_divergence(reference_logits, logits),
        "top_same": bool(order_p[0] == order_q[0]),
        "top_overlap": len(set(order_p.tolist()) & set(order_q.tolist())),
        "max_prob_change": float(np.abs(p - q).max()),
        "reference_top": [row(i) for i in order_p],
        "quantized_top": [row(i) for i in order_q],
    }


def quantized_next_logits(model: SmolLM2, ids, selection, bits: int, block: int):
    """SmolLM2's next-token logits (V,) with the selected matrices quantized.

    model: a loaded SmolLM2 (read only). A new Llama runs over a copy of the
    weights in which only the selected matrices differ. A generator like
    `quantized_weights` (progress while quantizing); returns the logits.
    """
    from glasslm.engine.models.llama.llama import Llama

    ids = model.check_ids(ids)
    changed = Llama((yield from quantized_weights(model.model.w, selection, bits, block)))
    return changed.prefill(ids, changed.new_cache(len(ids)), last_only=True)[-1]


def bits_per_weight(bits: int, block: int) -> float:
    return bits + 8 * FP16_BYTES / block
