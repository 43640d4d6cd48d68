"""RoPE as an op of the tiny GPT's graph: rotate its queries and keys, and rotate gradients back.

basics/rope.py rotates numbers (SmolLM2 calls it on arrays, no gradients);
this file wraps that rotation in a Tensor op so the tiny GPT can train with it
(Su et al. 2021). The rotation is linear, y = R x, so its backward is the
transpose: the same pairs turned by minus the angle, dx = R^T dy, which
basics/rope.py computes when handed -sin. Values are left alone.

Shapes: N = B*T rows; H query heads, K key-value heads of D dims: qkv (N, (H + 2K) D).
"""

from __future__ import annotations

import functools

import numpy as np

from glasslm.engine.autograd.tensor import Tensor
from glasslm.engine.basics.rope import apply_rope, rope_angles

ROPE_THETA = 10000.0  # the paper's base; SmolLM2's 100000 is for 8k-token contexts, not 16 letters


@functools.lru_cache(maxsize=64)
def _angles(T: int, head_dim: int) -> tuple[np.ndarray, np.ndarray]:
    return rope_angles(np.arange(T), head_dim, ROPE_THETA, dtype=np.float64)  # (T, D/2) each


def rotate_qk(qkv: Tensor, B: int, T: int, n_head: int, n_kv_head: int) -> Tensor:
    """qkv with every query and key head rotated by its position's angles; v unchanged."""
    H, K = n_head, n_kv_head
    D = qkv.data.shape[1] // (H + 2 * K)
    cos, sin = _angles(T, D)

    def turn(a: np.ndarray, s: np.ndarray) -> np.ndarray:  # (N, cols) -> same, heads of q and k turned
        out = a.copy()
        qk = a[:, : (H + K) * D].reshape(B, T, H + K, D).transpose(1, 0, 2, 3)  # (T, B, H+K, D)
        out[:, : (H + K) * D] = apply_rope(qk, cos, s).transpose(1, 0, 2, 3).reshape(B * T, -1)
        return out

    def backward(g):
        qkv.add_grad(turn(g, -sin))

    return Tensor(turn(qkv.data, sin), (qkv,), backward)
