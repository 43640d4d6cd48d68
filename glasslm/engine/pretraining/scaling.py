"""Scaling laws on a laptop: a sweep of tiny GPTs, a fitted power law, the 20-tokens rule.

What this file is:

- ``sweep(...)``: trains one tiny GPT (gpt.py, with train.py's loop) for each
  pair of model width and token budget, each with its own learning-rate
  schedule ending at its budget, and yields events as it goes, so the web page
  plots held-out loss against compute while the sweep runs. The compute of a
  run is C = 6 N D (training_compute.py), with N the model's total parameters
  and D the characters it was trained to predict.
- ``fit_power_law(C, L)``: L(C) = a C^(-b), fitted by least squares on the logs
  (log L = log a - b log C is a straight line), optionally with an irreducible
  term, L(C) = E + a C^(-b): E is chosen to minimise the squared error of log L
  and, for each E, a and b come from the straight-line fit of log(L - E). Kaplan
  et al. 2020 ("Scaling Laws for Neural Language Models") fit L(C) on the
  compute-efficient frontier; Hoffmann et al. 2022 ("Training Compute-Optimal
  Large Language Models") add the irreducible term E.
- ``frontier(points)``: the runs no cheaper run beats, which the law is fitted to.
- ``compute_optimal(C)``: with C = 6 N D and D = r N (Hoffmann et al. find
  r of about 20 tokens per parameter), N = sqrt(C / 6r) and D = r N.

What it leaves out: the Chinchilla paper's exact fitted constants (its own
Approach 3 gives a different r for its data), learning-rate tuning per size,
and the embedding-versus-non-embedding parameter distinction (Kaplan counts
only non-embedding parameters; with a 27-character vocabulary the embeddings
are a large share of a tiny model, so N here is every parameter, as Hoffmann
count them). Runs on first names are a toy: the loss floors near the entropy
of names, not of language.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, param_shapes
from glasslm.engine.pretraining.training_compute import training_flops
from glasslm.engine.training.train import Docs, TrainConfig, TrainRun, heldout_loss, train_tiny_gpt

CHINCHILLA_TOKENS_PER_PARAM = 20.0  # Hoffmann et al. 2022: D_opt ≈ 20 N_opt (e.g. 70B params, 1.4T tokens)
MAX_RUNS = 25  # a sweep is a grid; more runs do not fit in a learner's minute
MAX_SWEEP_FLOPS = 6e10  # 6ND over all runs: about a minute here (the "standard" preset is 5.5e10)
E_GRID = 400  # candidate irreducible losses tried by the fit before refining the best
PROGRESS_EVENTS_PER_RUN = 20  # progress ticks per run (each run takes about 0.5-10 s): a Stop waits at most one


# -- the power law ----------------------------------------------------------------


@dataclass(frozen=True)
class PowerLaw:
    a: float
    b: float
    e: float  # irreducible loss (0 when not fitted)
    rmse_log: float  # root mean squared error of log L
    n_points: int

    def __call__(self, c):
        return self.e + self.a * np.power(np.asarray(c, dtype=np.float64), -self.b)


def _line_fit(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Least-squares slope and intercept of y = slope x + intercept."""
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def fit_power_law(compute, loss, irreducible: bool = False) -> PowerLaw:
    """Fit L = [E +] a C^(-b) to points (C, L) by least squares on logarithms."""
    c = np.asarray(compute, dtype=np.float64)  # (P,)
    y = np.asarray(loss, dtype=np.float64)  # (P,)
    if c.shape != y.shape or c.ndim != 1:
        raise ValueError("compute and loss must be two lists of the same length")
    if len(c) < (3 if irreducible else 2):
        raise ValueError(
            f"a power law{' with an irreducible term' if irreducible else ''} needs at least "
            f"{3 if irreducible else 2} points, got {len(c)}"
        )
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(y)) and np.all(c > 0) and np.all(y > 0)):
        raise ValueError("every compute and loss must be a positive finite number")
    if np.ptp(np.log(c)) == 0:
        raise ValueError("all points have the same compute: a slope needs different compute values")
    logc, logy = np.log(c), np.log(y)

    def fit(e: float) -> tuple[float, float, float]:
        slope, intercept = _line_fit(logc, np.log(y - e))
        pred = np.log(e + np.exp(intercept) * np.exp(slope * logc))
        return float(np.mean((pred - logy) ** 2)), -slope, math.exp(intercept)

    if not irreducible:
        err, b, a = fit(0.0)
        return PowerLaw(a, b, 0.0, math.sqrt(err), len(c))
    top = float(y.min()) * (1 - 1e-6)
    grid = np.linspace(0.0, top, E_GRID)
    errs = [fit(e)[0] for e in grid]
    k = int(np.argmin(errs))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, E_GRID - 1)]
    for _ in range(60):  # golden-section search between the best grid point's neighbours
        m1, m2 = lo + (hi - lo) * 0.382, lo + (hi - lo) * 0.618
        if fit(m1)[0] <= fit(m2)[0]:
            hi = m2
        else:
            lo = m1
    e = (lo + hi) / 2
    err, b, a = fit(e)
    return PowerLaw(a, b, e, math.sqrt(err), len(c))


def frontier(points: list[tuple[float, float]]) -> list[int]:
    """Indices of the points (C, L) that no point with less or equal compute beats, by compute."""
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    best, keep = math.inf, []
    for i in order:
        if points[i][1] < best:
            best = points[i][1]
            keep.append(i)
    return keep


def compute_optimal(flops: float, tokens_per_param: float = CHINCHILLA_TOKENS_PER_PARAM) -> tuple[float, float]:
    """(N, D) that spend C = 6 N D FLOPs with D = r N: N = sqrt(C / 6r)."""
    if not (math.isfinite(flops) and flops > 0 and math.isfinite(tokens_per_param) and tokens_per_param > 0):
        raise ValueError("compute and tokens per parameter must be positive finite numbers")
    n = math.sqrt(flops / (6 * tokens_per_param))
    return n, tokens_per_param * n


# -- the sweep ------------------------------------------------------------------


def heads_for(width: int) -> int:
    """Four heads when the width splits into heads of at least 4 channels, else fewer."""
    for h in (4, 2, 1):
        if width % h == 0 and width // h >= 4:
            return h
    return 1


def _n_params(config: GPTConfig) -> int:
    return int(sum(np.prod(s) for s in param_shapes(config).values()))


@dataclass(frozen=True)
class SweepConfig:
    widths: tuple[int, ...] = (8, 16, 32)  # embedding widths: 1.3k, 4.2k, 14.5k parameters with one layer
    # Characters predicted: a 9x range. Halving the first choice (10k-90k) took the sweep from 77 s to 42 s in one timed
    # run on a busy machine (29 s to ~15 s idle); the frontier kept the same 5 runs and the fit's RMS log error 0.024.
    token_budgets: tuple[int, ...] = (5_000, 15_000, 45_000)
    n_layer: int = 1  # one block: depth would multiply the time without changing the picture
    block_size: int = 16  # nearly every first name fits
    batch_size: int = 32  # names per step: ~200 characters, so budgets become whole steps
    lr: float = 0.01  # microgpt's Adam rate, decayed linearly to 0 at each run's own budget
    seed: int = 42  # data order; the same for every run, so runs differ only in size and budget

    def validate(self) -> "SweepConfig":
        if not self.widths or not self.token_budgets:
            raise ValueError("a sweep needs at least one width and one token budget")
        if len(self.widths) * len(self.token_budgets) > MAX_RUNS:
            raise ValueError(
                f"{len(self.widths)} widths x {len(self.token_budgets)} budgets is "
                f"{len(self.widths) * len(self.token_budgets)} runs; at most {MAX_RUNS}"
            )
        for w in self.widths:
            GPTConfig(n_embd=w, n_head=heads_for(w), n_layer=self.n_layer, block_size=self.block_size).validate()
        if any(b < 1 for b in self.token_budgets):
            raise ValueError("token budgets must be positive")
        # 6ND over the grid, with the default vocabulary (27): the cost of the sweep
        total = sum(
            training_flops(
                _n_params(GPTConfig(n_embd=w, n_head=heads_for(w), n_layer=self.n_layer, block_size=self.block_size)), d
            )
            for w in self.widths
            for d in self.token_budgets
        )
        if total > MAX_SWEEP_FLOPS:
            raise ValueError(
                f"the sweep would cost {total:.2g} FLOPs (6ND over all runs); at most {MAX_SWEEP_FLOPS:.2g}"
            )
        return self


PRESETS = {
    "quick": SweepConfig(),
    "standard": SweepConfig(widths=(8, 16, 24, 32), token_budgets=(8_000, 24_000, 72_000, 216_000)),
    "wide": SweepConfig(widths=(4, 8, 16, 32, 48), token_budgets=(6_000, 20_000, 60_000)),
}


@dataclass
class RunResult:
    index: int
    width: int
    n_params: int
    tokens: int  # characters predicted in training (steps x batch x mean characters per name)
    steps: int
    flops: float  # 6 N D
    heldout_loss: float | None = None
    train_loss: float | None = None
    seconds: float | None = None

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def mean_predictions_per_doc(data: name_data.NameData, block_size: int) -> float:
    """Characters predicted per training name on average: len(name) + 1 (its end), at most the context."""
    lengths = np.array([len(d) + 1 for d in data.train], dtype=np.float64)  # (n_docs,)
    return float(np.minimum(lengths, block_size).mean())


@dataclass
class Plan:
    config: SweepConfig
    data: name_data.NameData
    runs: list[RunResult] = field(default_factory=list)

    @property
    def total_flops(self) -> float:
        return sum(r.flops for r in self.runs)


def plan_sweep(config: SweepConfig | None = None, data: name_data.NameData | None = None) -> Plan:
    """The grid of runs, each with its parameter count, whole number of steps, tokens and 6ND."""
    cfg = (config or SweepConfig()).validate()
    data = data or name_data.first_names()
    per_step = cfg.batch_size * mean_predictions_per_doc(data, cfg.block_size)
    plan = Plan(cfg, data)
    for w in cfg.widths:
        n = GPTConfig(
            vocab_size=data.tokenizer.vocab_size,
            n_embd=w,
            n_head=heads_for(w),
            n_layer=cfg.n_layer,
            block_size=cfg.block_size,
        )
        n_params = _n_params(n)
        for d in cfg.token_budgets:
            steps = max(1, round(d / per_step))
            tokens = round(steps * per_step)
            plan.runs.append(RunResult(len(plan.runs), w, n_params, tokens, steps, training_flops(n_params, tokens)))
    return plan


def sweep(config: SweepConfig | None = None, data: name_data.NameData | None = None):
    """Train every run of the plan, yielding events:

    plan      {runs: [RunResult...], total_flops}
    progress  {index, step, steps, done_flops, total_flops}   a few times per run
    run       {run: RunResult with its held-out loss, frontier: [indices], fit: PowerLaw | None}
    done      {runs, frontier, fit, elapsed_s}
    """
    plan = plan_sweep(config, data)
    cfg = plan.config
    yield {
        "type": "plan",
        "runs": [r.as_dict() for r in plan.runs],
        "total_flops": plan.total_flops,
        "config": {**cfg.__dict__, "widths": list(cfg.widths), "token_budgets": list(cfg.token_budgets)},
    }
    began, done_flops, finished = time.perf_counter(), 0.0, []
    fit = None
    for r in plan.runs:
        mc = GPTConfig(
            vocab_size=plan.data.tokenizer.vocab_size,
            n_embd=r.width,
            n_head=heads_for(r.width),
            n_layer=cfg.n_layer,
            block_size=cfg.block_size,
        )
        tc = TrainConfig(
            steps=r.steps,
            batch_size=cfg.batch_size,
            lr=cfg.lr,
            seed=cfg.seed,
            n_samples=0,
            eval_interval=r.steps,
            sample_interval=r.steps,
            attention_interval=r.steps,
        )
        run = TrainRun.create(data=plan.data, config=tc, model_config=mc)
        every = max(1, r.steps // PROGRESS_EVENTS_PER_RUN)
        t0 = time.perf_counter()
        for ev in train_tiny_gpt(run=run):
            if ev["type"] == "step" and (ev["step"] % every == 0 or ev["step"] == r.steps):
                yield {
                    "type": "progress",
                    "index": r.index,
                    "step": ev["step"],
                    "steps": r.steps,
                    "done_flops": done_flops + r.flops * ev["step"] / r.steps,
                    "total_flops": plan.total_flops,
                }
            elif ev["type"] == "done":
                r.heldout_loss, r.train_loss = ev["heldout_loss"], ev["train_loss"]
        r.seconds = time.perf_counter() - t0
        done_flops += r.flops
        finished.append(r)
        front, fit = fit_frontier(finished)
        yield {"type": "run", "run": r.as_dict(), "frontier": front, "fit": fit}
    front, fit = fit_frontier(finished)
    yield {
        "type": "done",
        "runs": [r.as_dict() for r in plan.runs],
        "frontier": front,
        "fit": fit,
        "elapsed_s": time.perf_counter() - began,
    }


def fit_frontier(finished: list[RunResult]) -> tuple[list[int], dict | None]:
    """The frontier of the finished runs (their run indices) and a plain power law through it, if possible."""
    ok = [r for r in finished if r.heldout_loss is not None]
    front = [ok[i].index for i in frontier([(r.flops, r.heldout_loss) for r in ok])]
    pts = [(r.flops, r.heldout_loss) for r in ok if r.index in front]
    if len(pts) < 2 or len({c for c, _ in pts}) < 2:
        return front, None
    law = fit_power_law([c for c, _ in pts], [l for _, l in pts])
    return front, law.__dict__


def place_model(model: TinyGPT, steps: int, batch_size: int, data: name_data.NameData | None = None) -> dict:
    """Where a tiny GPT trained elsewhere (a learner's, in train-a-gpt) sits on the sweep's axes.

    Counted as plan_sweep counts its runs: N from its tensors, D = steps x batch x the mean
    characters predicted per name, C = 6ND; its held-out loss on the same held-out names
    train_tiny_gpt reports. Only a model trained on those names (their characters) can be placed.
    """
    data = data or name_data.first_names()
    if model.tokenizer != data.tokenizer:
        raise ValueError("the model does not use the names' characters, so its loss on them cannot be measured")
    if steps < 1 or batch_size < 1:
        raise ValueError(f"steps and batch_size must be at least 1, got {steps} and {batch_size}")
    n = model.n_params
    tokens = round(steps * batch_size * mean_predictions_per_doc(data, model.config.block_size))
    return {
        "n_params": n,
        "tokens": tokens,
        "flops": training_flops(n, tokens),
        "heldout_loss": heldout_loss(model, Docs(data.heldout, model.tokenizer)),
    }
