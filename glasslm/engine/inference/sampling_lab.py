"""What the sampling chapter measures about a next-token distribution.

sampling.py turns logits into the distribution a token is drawn from. This
file adds the views the sampling chapter shows on top of it:

- `filter_stages`: the distribution after each rule in turn (temperature, then
  top-k, then top-p, then min-p, exactly the order sampling.filter_distribution
  uses), with how many tokens survive each rule, the probability mass the
  survivors had under the model's own distribution, and the entropy in bits;
- `draw_many`: many seeded draws at once, the same tokens that calling
  sampling.draw n times with one Generator would give (both are inverse-CDF
  draws on the same uniform numbers), but one searchsorted instead of n loops;
- `histogram`: the draws counted for chosen tokens plus one "everything else"
  bucket, with Pearson's chi-square statistic sum (O - E)^2 / E against the
  expected counts n * p, and the total variation distance between the
  observed frequencies and p (half the sum of |f - p|);
The server keeps the model's logits per prompt (glasslm/web/cache.py), so
moving a slider re-filters them instead of re-running the model.

Left out: p-values (the chapter compares the statistic with its degrees of
freedom, whose mean it is under the null).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from glasslm.engine.basics import sampling

LOG2 = math.log(2)


@dataclass(frozen=True)
class Stage:
    """The distribution after one more filtering rule."""

    name: str  # "model", "temperature", "top-k", "top-p", "min-p"
    probs: np.ndarray  # (V,) float64, zeros for tokens filtered out
    survivors: int  # tokens with probability > 0
    kept_mass: float  # their total probability under the model's own distribution (T = 1)
    entropy_bits: float


def filter_stages(logits: np.ndarray, config: sampling.SamplingConfig | None = None) -> list[Stage]:
    """The model's distribution, then each rule of config added in sampling.py's order.

    The last stage is exactly sampling.filter_distribution(logits, **asdict(config)):
    the distribution a token would be drawn from.
    """
    z = np.asarray(logits).reshape(-1)  # (V,)
    model = sampling.softmax(z)  # (V,) float64, temperature 1
    c = config or sampling.SamplingConfig()
    settings = [
        ("model", None),
        ("temperature", sampling.SamplingConfig(temperature=c.temperature)),
        ("top-k", sampling.SamplingConfig(temperature=c.temperature, top_k=c.top_k)),
        ("top-p", sampling.SamplingConfig(temperature=c.temperature, top_k=c.top_k, top_p=c.top_p)),
        ("min-p", c),
    ]
    stages = []
    for name, cfg in settings:
        p = model if cfg is None else sampling.filter_distribution(z, **asdict(cfg))  # (V,)
        alive = p > 0
        stages.append(
            Stage(
                name=name,
                probs=p,
                survivors=int(alive.sum()),
                kept_mass=float(model[alive].sum()),
                entropy_bits=float(sampling.entropy(p) / LOG2) + 0.0,
            )
        )  # + 0.0: no -0.0
    return stages


def draw_many(probs: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n token ids drawn from probs (V,): (n,) int64, reproducible from the seed.

    Equal to [sampling.draw(probs, rng) for _ in range(n)] with
    rng = np.random.default_rng(seed): the same uniforms u_i, the same
    inverse CDF over the tokens that can be drawn.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number of draws >= 1, got {n!r}")
    p = np.asarray(probs, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(p)) or (p < 0).any() or p.sum() <= 0:
        raise ValueError("probs must be finite, non-negative and not all zero")
    rng = np.random.default_rng(seed)
    support = np.flatnonzero(p)  # (K,) the tokens that can come out
    cdf = np.cumsum(p[support])  # (K,)
    u = rng.random(n) * cdf[-1]  # (n,) one uniform per draw, as draw() takes them
    at = np.minimum(np.searchsorted(cdf, u, side="right"), support.size - 1)  # (n,)
    return support[at]


@dataclass(frozen=True)
class Histogram:
    """Draws counted per shown token, plus one bucket for every other token."""

    ids: list[int]  # the tokens shown
    counts: list[int]  # how often each was drawn
    expected: list[float]  # n * p for each
    other_count: int  # draws of any token not shown
    other_expected: float
    n: int
    chi_square: float  # sum over buckets with E > 0 of (O - E)^2 / E
    dof: int  # buckets with E > 0, minus one
    total_variation: float  # 0.5 * sum |O/n - p| over the buckets


def histogram(draws: np.ndarray, probs: np.ndarray, ids) -> Histogram:
    """Count draws (n,) for the token ids shown and compare with n * probs."""
    draws = np.asarray(draws).reshape(-1)
    p = np.asarray(probs, dtype=np.float64).reshape(-1)  # (V,)
    ids = [int(i) for i in ids]
    n = int(draws.size)
    if len(set(ids)) != len(ids):
        raise ValueError("the token ids shown must be distinct")
    all_counts = np.bincount(draws, minlength=p.size)  # (V,)
    counts = all_counts[ids]  # (K,)
    other = n - int(counts.sum())
    obs = np.append(counts, other).astype(np.float64)  # (K+1,) buckets
    exp = n * np.append(p[ids], max(0.0, 1.0 - p[ids].sum()))  # (K+1,)
    live = exp > 0
    if (obs[~live] > 0).any():
        raise ValueError("a token with probability 0 was drawn: the draws do not come from these probabilities")
    chi = float((((obs - exp) ** 2)[live] / exp[live]).sum())
    return Histogram(
        ids=ids,
        counts=counts.tolist(),
        expected=exp[:-1].tolist(),
        other_count=other,
        other_expected=float(exp[-1]),
        n=n,
        chi_square=chi,
        dof=max(0, int(live.sum()) - 1),
        total_variation=float(0.5 * np.abs(obs / n - exp / n).sum()),
    )
