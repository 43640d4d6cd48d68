"""Activation functions and their derivatives, on numpy arrays.

A neuron computes inputs x weights + bias and then bends the result with an
activation function. Without the bend, layers of neurons collapse into one
linear map; with it, a network can draw curved decision boundaries. Training
needs each function's derivative too (backpropagation multiplies by it), so
every function here comes with its derivative written out by hand, side by side:

    step      1 if x > 0 else 0               derivative 0 (undefined at 0): nothing to learn from
    sigmoid   s = 1 / (1 + e^-x)              s (1 - s)
    tanh      t = tanh x                       1 - t^2
    relu      max(0, x)                        1 if x > 0 else 0 (0 at x = 0, as in PyTorch)
    gelu      x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2       Phi(x) + x phi(x),  phi = e^(-x^2/2) / sqrt(2 pi)
    gelu_tanh 0.5 x (1 + tanh(u)),  u = sqrt(2/pi) (x + 0.044715 x^3)
              derivative 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) sqrt(2/pi) (1 + 3 * 0.044715 x^2)
    silu      x s(x)                            s(x) (1 + x (1 - s(x)))

Sources: the step function is Rosenblatt's perceptron (1958); GELU is Hendrycks
& Gimpel, "Gaussian Error Linear Units" (2016), exact form with erf and the tanh
approximation GPT-2 uses; SiLU (also called swish) is Elfwing et al. (2017) and
Ramachandran et al. (2017), the gate inside SmolLM2's SwiGLU.

numpy has no erf, so the exact GELU applies math.erf element by element: fine
for the few thousand numbers a chapter draws, not for a large model.
Left out on purpose: leaky ReLU, ELU, softplus, and anything with parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715  # Hendrycks & Gimpel's cubic coefficient


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + e^-x), computed without overflow for large |x|."""
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(-np.abs(x))  # in (0, 1]: never overflows
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def step(x):
    return (np.asarray(x) > 0).astype(np.float64)


def d_step(x):
    return np.zeros_like(np.asarray(x, dtype=np.float64))


def d_sigmoid(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def tanh(x):
    return np.tanh(np.asarray(x, dtype=np.float64))


def d_tanh(x):
    t = np.tanh(np.asarray(x, dtype=np.float64))
    return 1.0 - t * t


def relu(x):
    return np.maximum(np.asarray(x, dtype=np.float64), 0.0)


def d_relu(x):
    return (np.asarray(x) > 0).astype(np.float64)


def gelu(x):
    x = np.asarray(x, dtype=np.float64)
    return x * 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))


def d_gelu(x):
    x = np.asarray(x, dtype=np.float64)
    cdf = 0.5 * (1.0 + _erf(x / math.sqrt(2.0)))
    pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    return cdf + x * pdf


def gelu_tanh(x):
    x = np.asarray(x, dtype=np.float64)
    return 0.5 * x * (1.0 + np.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x**3)))


def d_gelu_tanh(x):
    x = np.asarray(x, dtype=np.float64)
    t = np.tanh(_SQRT_2_OVER_PI * (x + _GELU_C * x**3))
    return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * x * x)


def silu(x):
    x = np.asarray(x, dtype=np.float64)
    return x * sigmoid(x)


def d_silu(x):
    s = sigmoid(x)
    return s * (1.0 + np.asarray(x, dtype=np.float64) * (1.0 - s))


@dataclass(frozen=True)
class Activation:
    """One activation function, its derivative, and how to explain it."""

    name: str
    title: str
    f: Callable[[np.ndarray], np.ndarray]
    df: Callable[[np.ndarray], np.ndarray]
    formula: str  # LaTeX, for the page
    note: str  # one sentence on where it is used and what its slope does


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in [
        Activation(
            "step",
            "step",
            step,
            d_step,
            r"\mathbb{1}[x > 0]",
            "Rosenblatt's perceptron: an on/off answer, but its slope is zero everywhere, "
            "so gradients cannot flow through it.",
        ),
        Activation(
            "sigmoid",
            "sigmoid",
            sigmoid,
            d_sigmoid,
            r"\frac{1}{1 + e^{-x}}",
            "Squashes to (0, 1), like a probability; its slope is at most 0.25 and vanishes for large |x|.",
        ),
        Activation(
            "tanh",
            "tanh",
            tanh,
            d_tanh,
            r"\tanh x",
            "Squashes to (-1, 1), centred on zero; slope 1 at zero, vanishing for large |x|.",
        ),
        Activation(
            "relu",
            "ReLU",
            relu,
            d_relu,
            r"\max(0, x)",
            "Zero for negatives, identity for positives: slope exactly 1 or 0, cheap, "
            "the default of deep learning since AlexNet (2012).",
        ),
        Activation(
            "gelu",
            "GELU (exact, erf)",
            gelu,
            d_gelu,
            r"x\,\Phi(x)",
            "A smooth ReLU that lets small negatives through, used in BERT and GPT-2; "
            "this is the exact form with the Gaussian CDF.",
        ),
        Activation(
            "gelu_tanh",
            "GELU (tanh approximation)",
            gelu_tanh,
            d_gelu_tanh,
            r"\tfrac12 x\left(1 + \tanh\!\left(\sqrt{2/\pi}\,(x + 0.044715x^3)\right)\right)",
            "The tanh approximation of GELU that GPT-2's code uses; within about 0.001 of the exact form.",
        ),
        Activation(
            "silu",
            "SiLU (swish)",
            silu,
            d_silu,
            r"x\,\sigma(x)",
            "x times its own sigmoid: smooth, dips slightly below zero; the gate inside "
            "SwiGLU, the MLP of Llama and SmolLM2.",
        ),
    ]
}


def get(name: str) -> Activation:
    """The activation called `name`, or a ValueError listing the choices."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}: choose one of {', '.join(ACTIVATIONS)}")
    return ACTIVATIONS[name]


def curves(name: str, lo: float = -4.0, hi: float = 4.0, points: int = 161) -> dict:
    """x, f(x) and f'(x) on an even grid, for drawing."""
    act = get(name)
    x = np.linspace(lo, hi, points)  # (points,)
    return {
        "name": act.name,
        "title": act.title,
        "formula": act.formula,
        "note": act.note,
        "x": x.tolist(),
        "y": act.f(x).tolist(),
        "dy": act.df(x).tolist(),
    }
