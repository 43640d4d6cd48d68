"""Training compute: C ≈ 6 N D floating-point operations, and what that costs here.

What this file is: the rule of thumb for the compute of training a dense
transformer with N parameters on D tokens (Kaplan et al. 2020, "Scaling Laws
for Neural Language Models", Section 2.1): the forward pass costs about 2
FLOPs per parameter per token (one multiply and one add per weight), and the
backward pass about twice that (the gradient with respect to the inputs and
with respect to the weights), so C ≈ 2ND + 4ND = 6ND. It leaves out the
attention scores (about 2 x layers x context x d_model per token forward,
small next to N while the context is not much longer than d_model) and
everything that is not a matrix product.

It also measures this machine's rate of FLOPs on a numpy matrix product
(2 m k n operations for an (m, k) @ (k, n) product, counting a multiply-add
as two), so a compute budget can be read as a time on this machine. That is
an estimate twice over: training runs far below a matmul's peak rate, and
big models run on thousands of accelerators, not a laptop.

The published models' N and D come from model_facts.py; for a few, their
authors also printed the total compute, quoted below with its source, so the
6ND estimate can be compared with the reported figure.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from glasslm.engine.data.model_facts import PUBLISHED, PublishedModel

FORWARD_FLOPS_PER_PARAM_TOKEN = 2  # one multiply and one add per weight per token
BACKWARD_FLOPS_PER_PARAM_TOKEN = 4  # gradients for both the layer's input and its weights
MATMUL_SIZE = 512  # a (512, 512) product: big enough for BLAS to reach its stride, quick (~10-50 ms)
MATMUL_REPEATS = 5  # the fastest of a few runs: the others were slowed by the rest of the machine
SECONDS_PER_YEAR = 365.25 * 24 * 3600

# Total training compute as the authors reported it (FLOPs), for comparison with 6ND.
# (Chinchilla is left out: its paper gives the compute budget it shares with Gopher,
# 5.76e23 in Table 3, as the estimate for a 67B model, not as Chinchilla's own total.)
REPORTED_FLOPS = {
    "GPT-3": (3.14e23, "Brown et al. 2020, 'Language Models are Few-Shot Learners', Table D.1"),
    "Llama 3.1 405B": (3.8e25, "Llama Team 2024, 'The Llama 3 Herd of Models', Section 1"),
}


def training_flops(n_params: float, n_tokens: float) -> float:
    """C = 6 N D: forward (2ND) plus backward (4ND) FLOPs of training N parameters on D tokens."""
    for name, v in (("parameters", n_params), ("tokens", n_tokens)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
            raise ValueError(f"the number of {name} must be a positive finite number, got {v!r}")
    return (FORWARD_FLOPS_PER_PARAM_TOKEN + BACKWARD_FLOPS_PER_PARAM_TOKEN) * n_params * n_tokens


def matmul_flops(m: int, k: int, n: int) -> int:
    """FLOPs of an (m, k) @ (k, n) product counted as the guide counts them: 2 m k n."""
    return 2 * m * k * n


@dataclass(frozen=True)
class FlopRate:
    flops_per_s: float
    seconds: float  # the fastest product's time
    size: int  # the square matrices' side
    repeats: int


def measure_flop_rate(size: int = MATMUL_SIZE, repeats: int = MATMUL_REPEATS, seed: int = 0) -> FlopRate:
    """Time a (size, size) float32 matrix product a few times; the fastest gives FLOPs per second."""
    if not 8 <= size <= 4096 or not 1 <= repeats <= 50:
        raise ValueError(f"size must be 8-4096 and repeats 1-50, got {size} and {repeats}")
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((size, size), dtype=np.float32)  # (m, k)
    b = rng.standard_normal((size, size), dtype=np.float32)  # (k, n)
    a @ b  # warm-up: the first call pays for loading BLAS's kernels
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b  # (m, n)
        best = min(best, time.perf_counter() - t0)
    best = max(best, 1e-9)
    return FlopRate(matmul_flops(size, size, size) / best, best, size, repeats)


@dataclass(frozen=True)
class ComputeRow:
    name: str
    params: float
    tokens: float
    flops: float  # 6ND
    tokens_per_param: float
    reported_flops: float | None
    reported_source: str | None
    seconds_here: float | None  # flops / this machine's measured rate
    source: str


def compute_row(name: str, params: float, tokens: float, source: str, rate: float | None = None) -> ComputeRow:
    flops = training_flops(params, tokens)
    reported, where = REPORTED_FLOPS.get(name, (None, None))
    return ComputeRow(
        name, params, tokens, flops, tokens / params, reported, where, flops / rate if rate else None, source
    )


def published_rows(rate: float | None = None, models: list[PublishedModel] | None = None) -> list[ComputeRow]:
    """6ND for every published model whose training tokens are known."""
    return [
        compute_row(m.name, m.params, m.train_tokens, m.source, rate) for m in (models or PUBLISHED) if m.train_tokens
    ]


def readable_duration(seconds: float) -> str:
    """'3.2 s', '4.1 hours', '2,300 years': the largest unit that keeps the number readable."""
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a duration must be a finite number of seconds, got {seconds!r}")
    for unit, size in (("years", SECONDS_PER_YEAR), ("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            v = seconds / size
            return f"{v:,.0f} {unit}" if v >= 100 else f"{v:.3g} {unit}"
    return f"{seconds:.3g} s"
