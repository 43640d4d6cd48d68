"""From logits to a chosen token: softmax, the usual filters, and a seeded draw.

A model gives logits z (V,). Turning them into the next token:

    p = softmax(z / temperature)        temperature -> 0: greedy; 1: the model's own
    top-k:  keep the k most likely tokens
    top-p:  keep the fewest most-likely tokens whose probabilities sum to >= p
            (nucleus sampling, Holtzman et al. 2019)
    min-p:  keep tokens with p >= min_p * max(p)  (Nguyen et al. 2024)
    renormalise what is kept and draw one token with a seeded numpy Generator.

Filters run in that order (temperature first, as Hugging Face transformers
does), each on the renormalised result of the previous one. `filter_distribution`
returns the final distribution itself so the sampling chapter can draw it.

Also here, the measures the probability-and-loss chapter shows: log-softmax (computed stably as
z - logsumexp(z)), entropy H(p) = -sum p log p, and perplexity
exp(mean negative log-likelihood) of a text's tokens.

Left out: repetition penalties, beam search, typical/mirostat sampling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SamplingConfig:
    """How to pick the next token; validated on creation."""

    temperature: float = 1.0  # 1 keeps the model's distribution; 0 means greedy
    top_k: int = 0  # 0 = off; small k cuts the long tail of unlikely tokens
    top_p: float = 1.0  # 1 = off; 0.9 is a common nucleus
    min_p: float = 0.0  # 0 = off; 0.05 drops tokens under 5% of the best one

    def __post_init__(self):
        check_sampling(self.temperature, self.top_k, self.top_p, self.min_p)


def check_sampling(temperature: float, top_k: int, top_p: float, min_p: float) -> None:
    """Raise ValueError saying which parameter is out of range and what is allowed."""
    if not (isinstance(temperature, (int, float)) and math.isfinite(temperature) and 0 <= temperature <= 100):
        raise ValueError(f"temperature must be a number from 0 to 100 (0 = greedy), got {temperature!r}")
    if isinstance(top_k, bool) or not isinstance(top_k, (int, np.integer)) or top_k < 0:
        raise ValueError(f"top_k must be a whole number >= 0 (0 = off), got {top_k!r}")
    if not (isinstance(top_p, (int, float)) and math.isfinite(top_p) and 0 < top_p <= 1):
        raise ValueError(f"top_p must be in (0, 1] (1 = off), got {top_p!r}")
    if not (isinstance(min_p, (int, float)) and math.isfinite(min_p) and 0 <= min_p < 1):
        raise ValueError(f"min_p must be in [0, 1) (0 = off), got {min_p!r}")


GREEDY = SamplingConfig(temperature=0.0)  # always the likeliest token
PLAIN = SamplingConfig()  # the model's own distribution, untouched


def log_softmax(logits: np.ndarray, axis: int = -1) -> np.ndarray:
    """log p = z - logsumexp(z), in float64 (stable for any logits)."""
    z = np.asarray(logits, dtype=np.float64)
    m = z.max(axis=axis, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))


def softmax(logits: np.ndarray, temperature: float = 1.0, axis: int = -1) -> np.ndarray:
    """Probabilities (float64) of logits / temperature; temperature 0 gives one-hot argmax."""
    z = np.asarray(logits, dtype=np.float64)
    if temperature == 0:
        out = np.zeros_like(z)
        np.put_along_axis(out, np.expand_dims(z.argmax(axis=axis), axis), 1.0, axis=axis)
        return out
    return np.exp(log_softmax(z / temperature, axis=axis))


@dataclass(frozen=True)
class SoftmaxSteps:
    """softmax(z / temperature) written out, each intermediate kept (probability-and-loss shows them all)."""

    scaled: np.ndarray  # z / temperature
    shifted: np.ndarray  # scaled - max(scaled): the same probabilities, and exp can no longer overflow
    exps: np.ndarray  # exp(shifted), each in (0, 1]
    sum_exps: float  # at least 1 (the largest term is exp(0))
    probs: np.ndarray  # exps / sum_exps


def softmax_steps(logits, temperature: float = 1.0) -> SoftmaxSteps:
    """The steps of softmax on one vector of logits (V,), in float64; temperature must be above 0."""
    z = np.asarray(logits, dtype=np.float64).reshape(-1)
    if not temperature > 0:
        raise ValueError(f"temperature must be above 0 to divide by it, got {temperature!r}")
    scaled = z / temperature
    shifted = scaled - scaled.max()
    exps = np.exp(shifted)
    total = float(exps.sum())
    return SoftmaxSteps(scaled=scaled, shifted=shifted, exps=exps, sum_exps=total, probs=exps / total)


def entropy(probs: np.ndarray, axis: int = -1) -> np.ndarray:
    """H(p) = -sum p log p in nats (divide by log 2 for bits); 0 log 0 = 0."""
    p = np.asarray(probs, dtype=np.float64)
    logp = np.log(np.where(p > 0, p, 1.0))
    return -(p * logp).sum(axis=axis)


def token_logprobs(logits: np.ndarray, ids) -> np.ndarray:
    """log p(ids[t+1] | ids[..t]) for t = 0..T-2, from logits (T, V): (T-1,)."""
    ids = np.asarray(ids).reshape(-1)
    logp = log_softmax(logits[:-1])  # (T-1, V)
    return logp[np.arange(len(ids) - 1), ids[1:]]


def perplexity(logprobs) -> float:
    """exp(mean negative log-likelihood): the average 'number of choices' per token."""
    lp = np.asarray(logprobs, dtype=np.float64)
    if lp.size == 0:
        raise ValueError("perplexity needs at least one predicted token")
    return float(np.exp(-lp.mean()))


def filter_distribution(
    logits: np.ndarray, temperature: float = 1.0, top_k: int = 0, top_p: float = 1.0, min_p: float = 0.0
) -> np.ndarray:
    """The distribution actually sampled from: (V,) float64, zeros where filtered out."""
    check_sampling(temperature, top_k, top_p, min_p)
    p = softmax(np.asarray(logits).reshape(-1), temperature)  # (V,)
    if temperature == 0:
        return p
    if 0 < top_k < p.size:
        cut = np.partition(p, -top_k)[-top_k]  # k-th largest probability
        keep = p >= cut
        if keep.sum() > top_k:  # ties at the cut: keep exactly k, lowest ids first
            ties = np.flatnonzero(p == cut)
            keep[ties[top_k - int((p > cut).sum()) :]] = False
        p = np.where(keep, p, 0.0)
        p /= p.sum()
    if top_p < 1.0:
        order = np.argsort(-p, kind="stable")  # most likely first
        before = np.cumsum(p[order]) - p[order]  # mass of the tokens ranked above each
        drop = order[before >= top_p]  # the nucleus is complete without them
        p[drop] = 0.0
        p /= p.sum()
    if min_p > 0.0:
        p = np.where(p >= min_p * p.max(), p, 0.0)
        p /= p.sum()
    return p


def draw(probs: np.ndarray, rng: np.random.Generator) -> int:
    """One token id drawn from probs (V,) by inverse CDF over its support."""
    support = np.flatnonzero(probs)  # (K,)
    cdf = np.cumsum(probs[support])  # (K,)
    u = rng.random() * cdf[-1]
    return int(support[min(int(np.searchsorted(cdf, u, side="right")), support.size - 1)])


def sample(
    logits: np.ndarray,
    rng: np.random.Generator | None = None,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
) -> tuple[int, np.ndarray]:
    """(token id, the filtered distribution it was drawn from). Temperature 0 is greedy."""
    probs = filter_distribution(logits, temperature, top_k, top_p, min_p)
    if temperature == 0:
        return int(np.argmax(probs)), probs
    rng = rng if rng is not None else np.random.default_rng()
    return draw(probs, rng), probs


def greedy(logits: np.ndarray) -> int:
    """The most likely token (ties: the lowest id)."""
    return int(np.argmax(logits))
