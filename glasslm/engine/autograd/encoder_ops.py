"""The array ops an *encoder* needs beyond tensor.py: each forward with its backward.

tensor.py has what a GPT needs: linear layers without bias, RMSNorm, ReLU,
residual sums, causal attention and cross-entropy. An encoder that reads a
whole image at once (the vision chapter's vision transformer and the image and text
encoders of its CLIP-style model) and the noise predictor of the diffusion chapter need a
few more, written here in the same style (one node per op, backward beside the
forward) and checked against finite differences in tests/engine/test_vit.py:

- add_bias:        y = x + b                            db = sum over rows of dy
- full_attention:  A = softmax(q k^T / sqrt(D)), y = A v  no causal mask: every
                   token sees every other (Vaswani et al. 2017; an encoder as in
                   Devlin et al. 2019 and Dosovitskiy et al. 2020)
- prepend_cls:     a learned [CLS] row before each image's patch rows, plus
                   learned position embeddings (Dosovitskiy et al. 2020, eq. 1)
- first_rows:      each sequence's first row (the [CLS] token's output)
- mean_rows:       each sequence's mean row (mean pooling)
- embed_rows:      rows of a table picked by integer ids
- l2_normalize:    rows scaled to unit length: y = x / |x|,  dx = (dy - y (y.dy)) / |x|
- mse:             mean of (pred - target)^2 over every entry

Shapes: B batch, T tokens per sequence, N = B*T rows, C channels, H heads,
D = C/H head dim. Left out: dropout, masks for padded sequences, anything a
model here does not use.
"""

from __future__ import annotations

import numpy as np

from glasslm.engine.autograd.tensor import Tensor, attention

NORM_EPS = 1e-8  # keeps l2_normalize finite on an all-zero row


def constant(a: np.ndarray) -> Tensor:
    """Input data as a graph leaf that receives no gradient worth keeping."""
    return Tensor(np.asarray(a, dtype=np.float64))


def add_bias(x: Tensor, b: Tensor) -> Tensor:
    """x (N, C) + b (C,) -> (N, C)."""

    def backward(g):  # g (N, C)
        b.add_grad(g.sum(axis=0))
        x.add_grad(g)

    return Tensor(x.data + b.data, (x, b), backward)


def full_attention(qkv: Tensor, B: int, T: int, n_head: int) -> Tensor:
    """Multi-head self-attention with no mask. qkv (N, 3C) as [q | k | v] -> (N, C).

    The weights (B, H, T, T) are kept in the output's `aux`: row i is where
    token i looks, and it sums to 1. (tensor.attention without its causal mask.)
    """
    return attention(qkv, B, T, n_head, causal=False)


def prepend_cls(x: Tensor, cls: Tensor, pos: Tensor, B: int) -> Tensor:
    """Patch rows x (B*P, C), a [CLS] row cls (C,), positions pos (P+1, C) -> (B*(P+1), C).

    Sequence b becomes [cls, patch 1, ..., patch P] + pos.
    """
    C = x.data.shape[1]
    P = x.data.shape[0] // B
    T = P + 1
    out = np.empty((B, T, C))
    out[:, 0] = cls.data
    out[:, 1:] = x.data.reshape(B, P, C)
    out += pos.data[:T]  # (B, T, C)

    def backward(g):  # g (B*T, C)
        g3 = g.reshape(B, T, C)
        cls.add_grad(g3[:, 0].sum(axis=0))
        pos.add_grad(g3.sum(axis=0))
        x.add_grad(g3[:, 1:].reshape(B * P, C))

    return Tensor(out.reshape(B * T, C), (x, cls, pos), backward)


def add_positions(x: Tensor, pos: Tensor, B: int) -> Tensor:
    """x (B*T, C) + pos (T, C) repeated for each sequence (mean pooling needs no [CLS])."""
    C = x.data.shape[1]
    T = x.data.shape[0] // B

    def backward(g):
        pos.add_grad(g.reshape(B, T, C).sum(axis=0))
        x.add_grad(g)

    return Tensor((x.data.reshape(B, T, C) + pos.data[:T]).reshape(B * T, C), (x, pos), backward)


def first_rows(x: Tensor, B: int) -> Tensor:
    """(B*T, C) -> (B, C): row 0 of each sequence (the [CLS] token)."""
    N, C = x.data.shape
    T = N // B

    def backward(g):  # g (B, C)
        gx = np.zeros((B, T, C))
        gx[:, 0] = g
        x.add_grad(gx.reshape(N, C))

    return Tensor(x.data.reshape(B, T, C)[:, 0].copy(), (x,), backward)


def mean_rows(x: Tensor, B: int) -> Tensor:
    """(B*T, C) -> (B, C): the mean of each sequence's rows."""
    N, C = x.data.shape
    T = N // B

    def backward(g):  # g (B, C)
        x.add_grad(np.repeat(g / T, T, axis=0))  # (N, C): every row of sequence b gets g[b] / T

    return Tensor(x.data.reshape(B, T, C).mean(axis=1), (x,), backward)


def embed_rows(table: Tensor, ids: np.ndarray) -> Tensor:
    """table (V, C), ids (N,) int -> (N, C)."""
    ids = np.asarray(ids).reshape(-1)

    def backward(g):
        gt = np.zeros_like(table.data)
        np.add.at(gt, ids, g)  # repeated ids add up
        table.add_grad(gt)

    return Tensor(table.data[ids], (table,), backward)


def l2_normalize(x: Tensor) -> Tensor:
    """Each row divided by its length. (N, C) -> (N, C)."""
    norm = np.sqrt((x.data**2).sum(axis=1, keepdims=True) + NORM_EPS)  # (N, 1)
    y = x.data / norm

    def backward(g):
        x.add_grad((g - y * (g * y).sum(axis=1, keepdims=True)) / norm)

    return Tensor(y, (x,), backward)


def mse(pred: Tensor, target: np.ndarray) -> Tensor:
    """Mean squared error over every entry: a scalar."""
    diff = pred.data - target
    n = diff.size

    def backward(g):
        pred.add_grad(float(g) * 2.0 * diff / n)

    return Tensor(np.array(float((diff**2).mean())), (pred,), backward)
