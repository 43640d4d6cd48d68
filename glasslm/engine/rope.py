"""Rotary position embedding (RoPE): position as a rotation of query and key.

RoFormer (Su et al. 2021, https://arxiv.org/abs/2104.09864, eq. 34): split a
D-dimensional vector into D/2 pairs and rotate pair i of the token at position
p by the angle

    angle(p, i) = p * theta^(-2i / D),      i = 0 .. D/2 - 1

    [x'_2i  ]   [cos  -sin] [x_2i  ]
    [x'_2i+1] = [sin   cos] [x_2i+1]

Because a rotation by a then the inverse rotation by b is a rotation by a - b,
the dot product of a rotated query (position m) and a rotated key (position n)
depends only on their distance m - n: attention sees relative positions.
Low pairs turn fast (short wavelengths), high pairs slowly (SmolLM2 uses
theta = 100000, so its slowest pair needs ~600k tokens for one turn).

Pairs here are ADJACENT elements (x[2i], x[2i+1]), as in the paper and in the
row order of llama.cpp's GGUF files (see gguf_weights.py). Hugging Face's
Llama rotates (x[i], x[i + D/2]) instead, on rows permuted to match; the two
give the same attention scores.

Left out: scaled/extended RoPE variants (NTK, YaRN), which SmolLM2 does not use.
"""

from __future__ import annotations

import numpy as np


def rope_angles(positions, head_dim: int, theta: float) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of every rotation angle: each (T, D/2) float32.

    positions: (T,) integer positions; head_dim: D (even); theta: the base.
    """
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head dimension, got {head_dim}")
    pos = np.asarray(positions, dtype=np.float64).reshape(-1)  # (T,)
    inv_freq = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # (D/2,)
    angles = pos[:, None] * inv_freq[None, :]  # (T, D/2), in float64 for exact large positions
    return np.cos(angles).astype(np.float32), np.sin(angles).astype(np.float32)


def apply_rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """Rotate adjacent pairs of x by the given angles; returns a new array.

    x: (T, D) or (T, H, D) (any axes between T and D are broadcast over);
    cos, sin: (T, D/2) from `rope_angles`.
    """
    T, D = x.shape[0], x.shape[-1]
    if cos.shape != (T, D // 2) or sin.shape != (T, D // 2):
        raise ValueError(f"cos/sin must be ({T}, {D // 2}) for x of shape {x.shape}, got {cos.shape}")
    shape = (T,) + (1,) * (x.ndim - 2) + (D // 2,)
    c, s = cos.reshape(shape), sin.reshape(shape)  # broadcast over heads
    x0, x1 = x[..., 0::2], x[..., 1::2]  # (T, ..., D/2) each: the pairs
    out = np.empty(x.shape, dtype=np.result_type(x, cos))
    out[..., 0::2] = x0 * c - x1 * s
    out[..., 1::2] = x0 * s + x1 * c
    return out


def rope_tables(cos: np.ndarray, sin: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same rotation as full-width tables for `apply_rope_tables`: (T, D) each.

    cos2 = [c0, c0, c1, c1, ...], sin2 = [-s0, +s0, -s1, +s1, ...], so that
    rotated = x * cos2 + swap_pairs(x) * sin2 (four array operations, fast).
    """
    cos2 = np.repeat(cos, 2, axis=-1)  # (T, D)
    sin2 = np.stack([-sin, sin], axis=-1).reshape(sin.shape[0], -1)  # (T, D)
    return cos2, sin2


def apply_rope_tables(x: np.ndarray, cos2: np.ndarray, sin2: np.ndarray) -> np.ndarray:
    """apply_rope with precomputed tables; cos2, sin2 broadcast against x (..., D)."""
    swapped = x.reshape(*x.shape[:-1], -1, 2)[..., ::-1].reshape(x.shape)  # (x1, x0, x3, x2, ...)
    out = x * cos2
    out += swapped * sin2
    return out
