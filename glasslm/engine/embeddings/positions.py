"""Where a token is: sinusoidal position encodings, and the numbers behind RoPE's rotation.

Attention by itself does not know word order: shuffle the tokens and each one
sees the same set of others. Models add position in one of two ways, and this
file computes what the embeddings chapter draws for each.

1. Sinusoidal encodings (Vaswani et al. 2017, "Attention Is All You Need",
   section 3.5), added to the token embeddings:

       PE[p, 2i]   = sin(p / base^(2i / C))
       PE[p, 2i+1] = cos(p / base^(2i / C)),      base = 10000

   Each pair of channels is a clock turning at its own speed; the dot product
   PE[p] . PE[q] depends only on p - q (a sum of cos((p - q) w_i)).

2. RoPE (Su et al. 2021, "RoFormer"), used by SmolLM2: nothing is added;
   query and key vectors are rotated, pair by pair, by p * theta^(-2i/D). The
   rotation itself is helper code in ``basics/rope.py`` (``rope_angles``,
   ``apply_rope``), used here unchanged; this file adds the views of it:
   each pair's wavelength in tokens, the angles at chosen positions, and the
   check that a query-key score depends only on the distance between them.

What it leaves out: learned absolute position embeddings (GPT-2) and RoPE's
long-context rescalings (NTK, YaRN), which SmolLM2 does not use. SmolLM2's
theta is read from its GGUF file (``LlamaConfig.rope_theta``, 100000) by the
caller and passed in.
"""

from __future__ import annotations

import numpy as np

from glasslm.engine.basics.rope import apply_rope, rope_angles
from glasslm.engine.basics.sinusoid import SINUSOID_BASE, sinusoidal  # noqa: F401  (sinusoidal: the table drawn here)


def sinusoidal_wavelengths(d_model: int, base: float = SINUSOID_BASE) -> np.ndarray:
    """(C/2,) positions per full turn of each channel pair: 2*pi * base^(2i/C)."""
    return (2 * np.pi * base ** (np.arange(0, d_model, 2) / d_model)).astype(np.float64)


def similarity_by_offset(pe: np.ndarray) -> np.ndarray:
    """(T, T) dot products PE[p] . PE[q] (equal along each diagonal: only p - q matters)."""
    return (pe.astype(np.float64) @ pe.T.astype(np.float64)).astype(np.float32)  # (T, T)


def rope_wavelengths(head_dim: int, theta: float) -> np.ndarray:
    """(D/2,) tokens per full turn of each pair: 2*pi * theta^(2i/D)."""
    if head_dim < 2 or head_dim % 2:
        raise ValueError(f"head_dim must be a positive even number, got {head_dim}")
    return 2 * np.pi * theta ** (np.arange(0, head_dim, 2) / head_dim)


def rope_pair_angles(positions, head_dim: int, theta: float) -> np.ndarray:
    """(T, D/2) rotation angle of each pair at each position, in radians within [0, 2*pi)."""
    cos, sin = rope_angles(positions, head_dim, theta)  # (T, D/2) each
    return np.mod(np.arctan2(sin, cos), 2 * np.pi).astype(np.float32)


def rope_scores_by_offset(q: np.ndarray, k: np.ndarray, theta: float, distances, offsets) -> np.ndarray:
    """(O, R) score of q at position o + r with k at position o, after RoPE.

    q, k: (D,) one query and one key; rows are start offsets o, columns
    distances r. Every row comes out the same (up to float32 rounding): RoPE
    makes the score a function of the distance alone.
    """
    q = np.asarray(q, dtype=np.float32).reshape(-1)  # (D,)
    k = np.asarray(k, dtype=np.float32).reshape(-1)  # (D,)
    if q.shape != k.shape:
        raise ValueError(f"q and k must have the same length, got {q.shape} and {k.shape}")
    D = q.shape[0]
    distances = np.asarray(distances, dtype=np.int64)  # (R,)
    offsets = np.asarray(offsets, dtype=np.int64)  # (O,)
    out = np.empty((len(offsets), len(distances)), dtype=np.float32)  # (O, R)
    for row, o in enumerate(offsets):
        k_pos = np.full(len(distances), o)  # (R,)
        q_pos = o + distances  # (R,)
        kc, ks = rope_angles(k_pos, D, theta)  # (R, D/2)
        qc, qs = rope_angles(q_pos, D, theta)  # (R, D/2)
        k_rot = apply_rope(np.tile(k, (len(distances), 1)), kc, ks)  # (R, D)
        q_rot = apply_rope(np.tile(q, (len(distances), 1)), qc, qs)  # (R, D)
        out[row] = (q_rot * k_rot).sum(axis=1)  # (R,)
    return out
