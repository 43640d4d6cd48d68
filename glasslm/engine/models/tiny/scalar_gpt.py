"""The tiny GPT again, one number at a time, on the scalar `Value` engine.

Same maths as gpt.py - the same weights give the same loss and the same
gradients (tests/engine/test_scalar_gpt.py checks both to 1e-9) - but every
multiply and add is its own graph node, as in microgpt. A default-sized
step builds a graph of tens of thousands of Values; the vectorized engine does
the same work in about fifteen array ops. The train-a-gpt chapter runs both and shows the
speed difference: that difference is why every real framework works on arrays.

It processes one document at a time, position by position, keeping the keys
and values of earlier positions (causal attention by construction, as in
microgpt). Training uses the same Adam as the vectorized engine (optim.py), on
a flat copy of the weights. Left out on purpose: batches (one document per step
is already slow enough to make the point).
"""

from __future__ import annotations

import math

import numpy as np

from glasslm.engine.autograd.value import Value
from glasslm.engine.models.tiny.gpt import TinyGPT

RMS_EPS = 1e-5  # as in tensor.rmsnorm


def _linear(x: list[Value], w: list[list[Value]]) -> list[Value]:
    """y_o = sum_i w[o][i] * x[i], W stored (out, in)."""
    return [sum((wi * xi for wi, xi in zip(row, x)), Value(0.0)) for row in w]


def _rmsnorm(x: list[Value]) -> list[Value]:
    ms = sum((xi * xi for xi in x), Value(0.0)) / len(x)
    inv = (ms + RMS_EPS) ** -0.5
    return [xi * inv for xi in x]


def _softmax(z: list[Value]) -> list[Value]:
    top = max(v.data for v in z)  # a constant shift, for stability: no gradient needed
    e = [(v - top).exp() for v in z]
    total = sum(e, Value(0.0))
    return [ei / total for ei in e]


class ScalarGPT:
    """A TinyGPT's weights as nested lists of Values."""

    def __init__(self, model: TinyGPT):
        self.config = model.config
        self.names = list(model.params.shapes)
        self.weights: dict[str, list[list[Value]]] = {
            name: [[Value(float(v)) for v in row] for row in model.params[name].data] for name in self.names
        }
        self.params: list[Value] = [v for name in self.names for row in self.weights[name] for v in row]

    def flat(self) -> np.ndarray:
        """Weights in the vectorized model's flat order."""
        return np.array([p.data for p in self.params])

    def flat_grad(self) -> np.ndarray:
        return np.array([p.grad for p in self.params])

    def set_flat(self, values: np.ndarray) -> None:
        for p, v in zip(self.params, values):
            p.data = float(v)

    def doc_loss(self, ids: list[int]) -> Value:
        """Mean cross-entropy of predicting ids[1:] from the ids before them."""
        cfg, w = self.config, self.weights
        H = cfg.n_head
        D = cfg.n_embd // H
        n = min(cfg.block_size, len(ids) - 1)
        keys: list[list[list[Value]]] = [[] for _ in range(cfg.n_layer)]  # per layer, per position: C values
        vals: list[list[list[Value]]] = [[] for _ in range(cfg.n_layer)]
        losses = []
        for pos in range(n):
            x = [t + p for t, p in zip(w["wte"][ids[pos]], w["wpe"][pos])]
            x = _rmsnorm(x)
            for i in range(cfg.n_layer):
                h = _rmsnorm(x)
                q = _linear(h, w[f"layer{i}.attn_wq"])
                keys[i].append(_linear(h, w[f"layer{i}.attn_wk"]))
                vals[i].append(_linear(h, w[f"layer{i}.attn_wv"]))
                heads = []
                for hd in range(H):
                    sl = slice(hd * D, (hd + 1) * D)
                    scores = [sum((a * b for a, b in zip(q[sl], k[sl])), Value(0.0)) / math.sqrt(D) for k in keys[i]]
                    att = _softmax(scores)
                    heads.extend(sum((a * v[sl][d] for a, v in zip(att, vals[i])), Value(0.0)) for d in range(D))
                x = [a + b for a, b in zip(x, _linear(heads, w[f"layer{i}.attn_wo"]))]
                h = [v.relu() for v in _linear(_rmsnorm(x), w[f"layer{i}.mlp_fc1"])]
                x = [a + b for a, b in zip(x, _linear(h, w[f"layer{i}.mlp_fc2"]))]
            probs = _softmax(_linear(x, w["lm_head"]))
            losses.append(-probs[ids[pos + 1]].log())
        return sum(losses, Value(0.0)) / n

    def loss_and_grad(self, ids: list[int]) -> float:
        """Forward and backward for one document; gradients land in each Value's .grad."""
        for p in self.params:
            p.grad = 0.0
        loss = self.doc_loss(ids)
        loss.backward()
        return loss.data


def train_steps(scalar: ScalarGPT, docs: list[list[int]], optimizer, lrs: list[float]):
    """One document per step with the given optimizer (built on a flat weight array).

    The optimizer updates the flat array in place; the Values are refreshed from it.
    Yields the loss of each step.
    """
    weights = optimizer.params[0]
    for ids, lr in zip(docs, lrs):
        loss = scalar.loss_and_grad(ids)
        optimizer.step([scalar.flat_grad()], lr)
        scalar.set_flat(weights)
        yield loss
