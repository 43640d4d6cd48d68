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


def rope_angles(positions, head_dim: int, theta: float, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    """cos and sin of every rotation angle: each (T, D/2), float32 unless dtype says otherwise.

    positions: (T,) integer positions; head_dim: D (even); theta: the base.
    (SmolLM2 runs in float32; the tiny GPT trains in float64 and asks for it.)
    """
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head dimension, got {head_dim}")
    pos = np.asarray(positions, dtype=np.float64).reshape(-1)  # (T,)
    inv_freq = theta ** (-np.arange(0, head_dim, 2, dtype=np.float64) / head_dim)  # (D/2,)
    angles = pos[:, None] * inv_freq[None, :]  # (T, D/2), in float64 for exact large positions
    return np.cos(angles).astype(dtype), np.sin(angles).astype(dtype)


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


def rope_rotations(cos: np.ndarray, sin: np.ndarray) -> np.ndarray:
    """The same angles as unit complex numbers e^{i angle} = cos + i sin: (T, D/2) complex64."""
    return (cos + 1j * sin).astype(np.complex64)


def apply_rope_complex(x: np.ndarray, rot: np.ndarray) -> np.ndarray:
    """apply_rope as the paper writes it: each adjacent pair (x[2i], x[2i+1]) is the
    complex number x[2i] + i x[2i+1], and rotating it is multiplying by e^{i angle}.

    x: (..., D) float32 whose last axis is contiguous (read as (..., D/2) complex64
    without copying); rot broadcasts against (..., D/2). Returns a new float32 array.
    About ten times faster than the real-valued form in numpy.
    """
    return (x.view(np.complex64) * rot).view(np.float32)
