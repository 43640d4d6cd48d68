"""Automatic differentiation over numpy arrays: a few fused ops, each with its backward.

The scalar engine (value.py) builds one graph node per number: a tiny GPT's
loss is tens of thousands of nodes, and Python spends its time walking them.
This file makes a node hold a whole array, so the same model is a graph of
about fifteen nodes, each doing its work in a handful of numpy calls.

At the tiny GPT's size (16 channels, 16 positions) almost all the time goes to
per-op overhead, not arithmetic. So the ops here are deliberately *coarse*: a
linear layer, RMSNorm, a whole causal self-attention, a whole cross-entropy -
each one forward function with its hand-written backward right beside it,
instead of dozens of elementwise nodes. Every backward is checked against
finite differences (and against torch where installed) in
tests/engine/test_tensor.py.

What it adds over value.py: arrays, fused ops, and `Parameters`, which keeps
every weight as a view into one flat buffer (and every gradient as a view into a
second one), so an optimizer step is a few numpy calls whatever the model's size.
What it leaves out: broadcasting rules in general, higher derivatives, ops no
model here uses.

Two more speed measures, each explained where it lives: softmax subtracts
one maximum for the whole array instead of one per row (_exp_shifted), and
`keep_freed_memory` stops glibc from returning each step's arrays to the
operating system only to fault them back in on the next step.

Shapes: N rows (N = B*T: batch times time), C channels, H heads, D = C/H head
dim, V vocabulary. Activations are kept as (N, C) matrices; only attention
needs to see (B, T) and reshapes inside.

Formulas:
- linear y = x W^T:          dx = dy W,   dW = dy^T x
- RMSNorm y = x / rms(x), rms = sqrt(mean(x^2) + eps) (Zhang & Sennrich 2019):
                             dx = (dy - y * mean(dy * y)) / rms
- LayerNorm y = (x - mean(x)) / sd(x) (Ba et al. 2016; no gain or bias, like our RMSNorm):
                             dx = (dy - mean(dy) - y * mean(dy * y)) / sd
- GELU (tanh form, as GPT-2) and SwiGLU silu(a) * b (Shazeer 2020): slopes written out below
- softmax p (rows):          ds = p * (dp - sum(dp * p))
- attention (Vaswani et al. 2017) A = softmax(q k^T / sqrt(D) + causal mask), y = A v
- cross-entropy, mean over counted targets: dlogits = (softmax - onehot) / count
"""

from __future__ import annotations

import functools
import math

import numpy as np

DTYPE = np.float64  # exact enough to compare with the scalar engine to 1e-12
MAX_CACHED_MASKS = 256  # one causal mask per sequence length seen


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc mallopt parameters (malloc.h)


@functools.lru_cache(maxsize=1)
def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse rather than return it to the OS.

    A training step allocates and frees the same few hundred-kilobyte arrays
    every time. By default glibc hands such blocks back to the operating system
    and takes them again on the next step, and touching fresh pages costs more
    than the arithmetic (measured here: a batch-32 step ran about 1.7x slower).
    This keeps up to 64 MB of freed memory in the process. A no-op (False)
    where the C library is not glibc.
    """
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    ok_mmap = mallopt(_M_MMAP_THRESHOLD, 16 * 2**20)  # blocks below 16 MB come from the reusable heap
    ok_trim = mallopt(_M_TRIM_THRESHOLD, 64 * 2**20)  # keep up to 64 MB of freed heap
    return bool(ok_mmap and ok_trim)


class Tensor:
    """An array in a computation graph, with its gradient.

    `grad` starts as None for intermediate results and is filled by `backward`.
    A parameter's `grad` is a fixed view into its `Parameters` gradient buffer
    and is accumulated in place.
    """

    __slots__ = ("data", "grad", "_prev", "_backward", "is_param", "aux")

    def __init__(self, data, prev: tuple = (), backward=None, grad=None, is_param: bool = False):
        self.data = data
        self.grad = grad
        self._prev = prev  # input Tensors
        self._backward = backward  # function(upstream grad) -> None, adds into inputs
        self.is_param = is_param
        self.aux = None  # anything an op keeps for inspection (attention weights)

    @property
    def shape(self) -> tuple:
        return self.data.shape

    def add_grad(self, g: np.ndarray) -> None:
        """Accumulate g into this tensor's gradient."""
        if self.is_param:
            self.grad += g  # in place: the view into the flat gradient buffer
        elif self.grad is None:
            self.grad = g  # no copy: g is never modified in place afterwards
        else:
            self.grad = self.grad + g  # not in place: g may be shared with a sibling

    def backward(self) -> None:
        """Fill the gradients of everything this (scalar) tensor depends on."""
        order: list[Tensor] = []
        seen: set[int] = set()
        stack: list[tuple[Tensor, bool]] = [(self, False)]
        while stack:  # iterative post-order depth-first search
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((p, False) for p in node._prev if id(p) not in seen)
        self.grad = np.ones_like(self.data)
        for node in reversed(order):
            if node._backward is not None and node.grad is not None:
                node._backward(node.grad)

    def __repr__(self) -> str:
        kind = "param" if self.is_param else "tensor"
        return f"Tensor({kind}, shape={self.data.shape})"


class Parameters:
    """Named weights living as views into one flat buffer, gradients into another.

    `flat` and `flat_grad` are what an optimizer sees: one array each.
    Consecutive entries can be viewed together (`joined`), which is how the
    model runs its separate q, k and v weights as one matrix multiply.
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], dtype=DTYPE):
        self.shapes = dict(shapes)
        self.offsets: dict[str, tuple[int, int]] = {}
        total = 0
        for name, shape in self.shapes.items():
            n = math.prod(shape)
            self.offsets[name] = (total, total + n)
            total += n
        self.flat = np.zeros(total, dtype=dtype)
        self.flat_grad = np.zeros(total, dtype=dtype)
        self.tensors = {name: self._view(name, name) for name in self.shapes}

    def _view(self, first: str, last: str) -> Tensor:
        start = self.offsets[first][0]
        stop = self.offsets[last][1]
        cols = self.shapes[first][-1]
        shape = (-1, cols) if len(self.shapes[first]) == 2 else self.shapes[first]
        return Tensor(
            self.flat[start:stop].reshape(shape), grad=self.flat_grad[start:stop].reshape(shape), is_param=True
        )

    def __getstate__(self) -> dict:
        # Pickle copies views, which would cut each weight loose from `flat` (and the
        # optimizer would train a buffer the model no longer reads): keep only the
        # buffers, and view them again on the other side (a training run in a worker).
        return {k: v for k, v in self.__dict__.items() if k != "tensors"}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self.tensors = {name: self._view(name, name) for name in self.shapes}

    def joined(self, first: str, last: str) -> Tensor:
        """One matrix spanning consecutive 2-D weights first..last (stacked by rows)."""
        return self._view(first, last)

    def __getitem__(self, name: str) -> Tensor:
        return self.tensors[name]

    def __iter__(self):
        return iter(self.shapes)

    def __len__(self) -> int:
        return len(self.shapes)

    @property
    def size(self) -> int:
        return self.flat.size

    def zero_grad(self) -> None:
        self.flat_grad.fill(0.0)


# ------------------------------------------------------------------ ops
# Each op computes its output, and defines beside it the backward that turns the
# output's gradient into its inputs' gradients.


def embed(wte: Tensor, wpe: Tensor, idx: np.ndarray) -> Tensor:
    """Token plus position embedding. idx (B, T) int -> (N, C)."""
    B, T = idx.shape
    ids = idx.reshape(-1)  # (N,)
    out = (wte.data[idx] + wpe.data[:T]).reshape(B * T, -1)  # (B, T, C) -> (N, C)

    def backward(g):  # g (N, C)
        gt = np.zeros_like(wte.data)
        np.add.at(gt, ids, g)  # rows of repeated tokens add up
        wte.add_grad(gt)
        gp = np.zeros_like(wpe.data)
        gp[:T] = g.reshape(B, T, -1).sum(axis=0)  # (T, C)
        wpe.add_grad(gp)

    return Tensor(out, (wte, wpe), backward)


def linear(x: Tensor, w: Tensor) -> Tensor:
    """y = x W^T, with W stored (out, in) as in the checkpoint. (N, in) -> (N, out)."""
    out = x.data @ w.data.T  # (N, out)

    def backward(g):  # g (N, out)
        w.add_grad(g.T @ x.data)  # (out, in)
        x.add_grad(g @ w.data)  # (N, in)

    return Tensor(out, (x, w), backward)


def rmsnorm(x: Tensor, eps: float = 1e-5) -> Tensor:
    """Divide each row by its root mean square (no learned gain, as in microgpt)."""
    xd = x.data
    C = xd.shape[-1]
    inv = 1.0 / np.sqrt(np.einsum("nc,nc->n", xd, xd)[:, None] / C + eps)  # (N, 1)
    y = xd * inv  # (N, C)

    def backward(g):
        x.add_grad(inv * (g - y * (np.einsum("nc,nc->n", g, y)[:, None] / C)))

    return Tensor(y, (x,), backward)


def layernorm(x: Tensor, eps: float = 1e-5) -> Tensor:
    """Centre each row, then divide by its standard deviation (no learned gain or bias)."""
    xc = x.data - x.data.mean(axis=-1, keepdims=True)  # (N, C)
    C = xc.shape[-1]
    inv = 1.0 / np.sqrt(np.einsum("nc,nc->n", xc, xc)[:, None] / C + eps)  # (N, 1)
    y = xc * inv

    def backward(g):
        gy = np.einsum("nc,nc->n", g, y)[:, None] / C
        x.add_grad(inv * (g - g.mean(axis=-1, keepdims=True) - y * gy))

    return Tensor(y, (x,), backward)


_GELU_C = math.sqrt(2.0 / math.pi)


def gelu(x: Tensor) -> Tensor:
    """0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi): GPT-2's smooth ReLU."""
    xd = x.data
    t = np.tanh(_GELU_C * (xd + 0.044715 * xd**3))
    y = 0.5 * xd * (1.0 + t)

    def backward(g):
        slope = 0.5 * (1.0 + t) + 0.5 * xd * (1.0 - t * t) * _GELU_C * (1.0 + 3 * 0.044715 * xd * xd)
        x.add_grad(g * slope)

    return Tensor(y, (x,), backward)


def swiglu(x: Tensor) -> Tensor:
    """silu(a) * b for x = [a | b] (N, 2h) -> (N, h): the gated MLP of Llama (Shazeer 2020).

    silu(a) = a sigmoid(a); its slope is s (1 + a (1 - s)) with s = sigmoid(a).
    """
    h = x.data.shape[1] // 2
    a, b = x.data[:, :h], x.data[:, h:]
    s = 0.5 * (1.0 + np.tanh(0.5 * a))  # sigmoid without overflow
    silu = a * s

    def backward(g):
        gx = np.empty_like(x.data)
        gx[:, :h] = g * b * s * (1.0 + a * (1.0 - s))
        gx[:, h:] = g * silu
        x.add_grad(gx)

    return Tensor(silu * b, (x,), backward)


def relu(x: Tensor) -> Tensor:
    y = np.maximum(x.data, 0.0)

    def backward(g):
        x.add_grad(g * (x.data > 0))  # slope 0 at exactly 0, as in torch

    return Tensor(y, (x,), backward)


def add(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise sum of two same-shaped tensors (the residual connection)."""

    def backward(g):
        a.add_grad(g)
        b.add_grad(g)

    return Tensor(a.data + b.data, (a, b), backward)


def _row_sum(a: np.ndarray) -> np.ndarray:
    """Sum over the last axis, keeping it. A matrix-vector product with ones is several
    times faster than np.sum along a short last axis."""
    return (a @ np.ones(a.shape[-1], dtype=a.dtype))[..., None]


def _exp_shifted(s: np.ndarray, mask: np.ndarray | None = None):
    """exp(s - shift) (masked), its row sums, and the shift: the pieces of a stable softmax.

    Softmax does not change when a constant is subtracted, so we subtract the
    largest score of the whole array (one fast reduction) rather than each row's
    (a slow one along a short axis). Only if that leaves some row with nothing
    but underflowed zeros - scores hundreds apart, a diverged model - do we redo
    it exactly, row by row.
    """
    shift = s.max()
    e = np.exp(s - shift)
    if mask is not None:
        e *= mask
    total = _row_sum(e)
    if total.min() < 1e-250:  # some row underflowed: use the exact per-row shift
        live = s if mask is None else np.where(mask > 0, s, -np.inf)
        shift = live.max(axis=-1, keepdims=True)
        e = np.exp(s - shift)
        if mask is not None:
            e *= mask
        total = _row_sum(e)
    return e, total, shift


def _softmax_rows(s: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis; `mask` (0/1, broadcastable) zeroes entries out."""
    e, total, _ = _exp_shifted(s, mask)
    return e / total


@functools.lru_cache(maxsize=MAX_CACHED_MASKS)
def causal_mask(T: int) -> np.ndarray:
    """(T, T) lower-triangular ones: position t may look at positions 0..t."""
    mask = np.tril(np.ones((T, T), dtype=DTYPE))
    mask.flags.writeable = False
    return mask


def causal_attention(qkv: Tensor, B: int, T: int, n_head: int, n_kv_head: int | None = None) -> Tensor:
    """Multi-head causal self-attention. qkv (N, 3C) as [q | k | v] -> (N, C)
    (narrower k and v with n_kv_head: see `attention`).

    The attention weights (B, H, T, T) are kept in the output's `aux` so a
    trace can show them.
    """
    return attention(qkv, B, T, n_head, causal=True, n_kv_head=n_kv_head)


def attention(qkv: Tensor, B: int, T: int, n_head: int, causal: bool, n_kv_head: int | None = None) -> Tensor:
    """Multi-head self-attention, with the causal mask (a GPT) or without (an encoder,
    where every token sees every other). qkv (N, C + 2 K D) as [q | k | v] -> (N, C);
    the weights (B, H, T, T) in the output's `aux`.

    n_kv_head K (default H) below H is grouped-query attention (Ainslie et al. 2023):
    each key-value head serves H/K consecutive query heads; K = 1 is multi-query.
    The backward adds up the gradients of the query heads sharing a key-value head.
    """
    H = n_head
    K = n_kv_head or H
    D = qkv.data.shape[1] // (H + 2 * K)
    C, G = H * D, H // K  # G query heads per key-value head
    q = qkv.data[:, :C].reshape(B, T, H, D).transpose(0, 2, 1, 3)  # (B, H, T, D)
    kv = qkv.data[:, C:].reshape(B, T, 2, K, D).transpose(2, 0, 3, 1, 4)  # (2, B, K, T, D)
    k, v = (kv[0], kv[1]) if G == 1 else (np.repeat(kv[0], G, axis=1), np.repeat(kv[1], G, axis=1))  # (B, H, T, D)
    y, att, back = _attend(q, k, v, causal_mask(T) if causal else None)  # no peeking ahead
    out = y.transpose(0, 2, 1, 3).reshape(B * T, C)  # (N, C)

    def backward(g):  # g (N, C)
        gq, gk, gv = back(g.reshape(B, T, H, D).transpose(0, 2, 1, 3))
        gqkv = np.empty((B, T, H + 2 * K, D), dtype=g.dtype)
        gqkv[:, :, :H] = gq.transpose(0, 2, 1, 3)
        gqkv[:, :, H : H + K] = gk.reshape(B, K, G, T, D).sum(axis=2).transpose(0, 2, 1, 3)
        gqkv[:, :, H + K :] = gv.reshape(B, K, G, T, D).sum(axis=2).transpose(0, 2, 1, 3)
        qkv.add_grad(gqkv.reshape(B * T, -1))

    result = Tensor(out, (qkv,), backward)
    result.aux = att
    return result


def cross_attention(q: Tensor, kv: Tensor, B: int, Tq: int, Tk: int, n_head: int) -> Tensor:
    """Multi-head cross-attention (Vaswani et al. 2017, the decoder's second sublayer): queries
    from one sequence, keys and values from another, no mask. q (B*Tq, C), kv (B*Tk, 2C) as
    [k | v] -> (B*Tq, C); the weights (B, H, Tq, Tk) in the output's `aux`."""
    C = q.data.shape[1]
    H, D = n_head, C // n_head
    qh = q.data.reshape(B, Tq, H, D).transpose(0, 2, 1, 3)  # (B, H, Tq, D)
    kvh = kv.data.reshape(B, Tk, 2, H, D).transpose(2, 0, 3, 1, 4)  # (2, B, H, Tk, D)
    y, att, back = _attend(qh, kvh[0], kvh[1], None)
    out = y.transpose(0, 2, 1, 3).reshape(B * Tq, C)

    def backward(g):  # g (B*Tq, C)
        gq, gk, gv = back(g.reshape(B, Tq, H, D).transpose(0, 2, 1, 3))
        q.add_grad(gq.transpose(0, 2, 1, 3).reshape(B * Tq, C))
        gkv = np.empty((B, Tk, 2, H, D), dtype=g.dtype)
        gkv[:, :, 0] = gk.transpose(0, 2, 1, 3)
        gkv[:, :, 1] = gv.transpose(0, 2, 1, 3)
        kv.add_grad(gkv.reshape(B * Tk, 2 * C))

    result = Tensor(out, (q, kv), backward)
    result.aux = att
    return result


def _attend(q: np.ndarray, k: np.ndarray, v: np.ndarray, mask: np.ndarray | None):
    """softmax(q k^T / sqrt(D), masked) v for (B, H, Tq, D) queries and (B, H, Tk, D) keys and values.

    Returns the output (B, H, Tq, D), the weights (B, H, Tq, Tk), and a function taking the
    output's gradient to the gradients of q, k and v.
    """
    scale = 1.0 / math.sqrt(q.shape[-1])
    att = _softmax_rows((q @ k.transpose(0, 1, 3, 2)) * scale, mask)  # rows sum to 1
    y = att @ v

    def back(gy):
        gatt = gy @ v.transpose(0, 1, 3, 2)  # (B, H, Tq, Tk)
        gv = att.transpose(0, 1, 3, 2) @ gy  # (B, H, Tk, D)
        gs = att * (gatt - _row_sum(gatt * att))  # softmax backward; 0 where masked
        gs *= scale
        return gs @ k, gs.transpose(0, 1, 3, 2) @ q, gv

    return y, att, back


def cross_entropy(logits: Tensor, targets: np.ndarray) -> Tensor:
    """Mean of -log softmax(logits)[target] over rows whose target is not -1.

    logits (N, V), targets (N,) int; -1 marks padding that is not counted.
    """
    z = logits.data
    t = targets.reshape(-1)
    keep = t >= 0  # (N,)
    count = int(keep.sum())
    if count == 0:
        raise ValueError("cross_entropy needs at least one target that is not -1 (padding)")
    rows = np.nonzero(keep)[0]
    e, total, shift = _exp_shifted(z)  # (N, V), (N, 1), scalar or (N, 1)
    shift = np.broadcast_to(shift, total.shape)[rows, 0]  # (count,)
    # -log p[target] = log(sum exp(z - shift)) - (z[target] - shift), never log(0)
    loss = float((np.log(total[rows, 0]) - (z[rows, t[rows]] - shift)).sum() / count)
    p = e / total  # (N, V) softmax, reused by the backward

    def backward(g):  # g: scalar array
        d = p  # reused in place: p is not needed after this
        d[rows, t[rows]] -= 1.0
        d[~keep] = 0.0
        d *= float(g) / count
        logits.add_grad(d)

    return Tensor(np.array(loss, dtype=z.dtype), (logits,), backward)


# ------------------------------------------------------------------ recurrent ops
# A recurrent network runs the same few small ops once per time step, so these are
# elementwise and slicing ops rather than fused blocks (glasslm/engine/models/tiny/rnn.py).
# Formulas: tanh' = 1 - y^2, sigmoid' = y (1 - y), (a*b)' = (b, a).


def lookup(w: Tensor, ids: np.ndarray) -> Tensor:
    """Rows w[ids]: a one-hot vector times a matrix, without building the one-hot. ids (B,) -> (B, C)."""
    ids = np.asarray(ids).reshape(-1)

    def backward(g):
        gw = np.zeros_like(w.data)
        np.add.at(gw, ids, g)  # a token seen twice in the batch collects both gradients
        w.add_grad(gw)

    return Tensor(w.data[ids], (w,), backward)


def tanh(x: Tensor) -> Tensor:
    y = np.tanh(x.data)

    def backward(g):
        x.add_grad(g * (1.0 - y * y))

    return Tensor(y, (x,), backward)


def sigmoid(x: Tensor) -> Tensor:
    y = 0.5 * (1.0 + np.tanh(0.5 * x.data))  # the same function, without overflow in exp(-x)

    def backward(g):
        x.add_grad(g * y * (1.0 - y))

    return Tensor(y, (x,), backward)


def mul(a: Tensor, b: Tensor) -> Tensor:
    """Elementwise product of two same-shaped tensors (an LSTM's gates)."""

    def backward(g):
        a.add_grad(g * b.data)
        b.add_grad(g * a.data)

    return Tensor(a.data * b.data, (a, b), backward)


def columns(x: Tensor, lo: int, hi: int) -> Tensor:
    """Columns lo..hi-1 of a (N, C) tensor: one gate out of several computed by one multiply."""

    def backward(g):
        full = np.zeros_like(x.data)
        full[:, lo:hi] = g
        x.add_grad(full)

    return Tensor(x.data[:, lo:hi], (x,), backward)


def concat_rows(parts: list[Tensor]) -> Tensor:
    """Stack (B, C) tensors into one (len(parts) * B, C): every time step's state, for one output layer."""
    sizes = [p.data.shape[0] for p in parts]
    bounds = np.cumsum([0] + sizes)

    def backward(g):
        for p, lo, hi in zip(parts, bounds[:-1], bounds[1:]):
            p.add_grad(g[lo:hi])

    return Tensor(np.concatenate([p.data for p in parts], axis=0), tuple(parts), backward)
