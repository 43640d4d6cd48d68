"""The architecture lab: tiny GPTs that differ in one switch, trained side by side.

Every run gets the same data, the same batches in the same order (each
TrainRun draws them from its own generator seeded alike) and the same
recipe; only the architecture differs (models/tiny/gpt.py's switches). The
runs take turns, one step each, so their curves grow together on screen and
a slow architecture shows up as fewer steps per second, not as a stalled chart.

Beside the loss, after every step we read each block's gradient norm
(TinyGPT.layer_grad_norms): how much learning signal reaches that block. A
deep stack without residual connections passes back a gradient that shrinks
block by block on its way to the first (He et al. 2016 added the shortcut to
fix that); with them, every block gets a direct path from the loss.

Events (each run is numbered by its place in `configs`):
    start     {steps, runs: [{name, config, n_params}]}
    step      {run, step, loss}                   mean loss of the last few steps
    eval      {run, step, heldout_loss}           every eval_interval, first and last
    grads     {run, step, norms}                  per block, mean since the last grads event
    run_done  {run, heldout_loss, train_loss, steps_per_s, grad_norms, diverged, message}
    done      {runs: [the run_done events]}

`tour_configs` is the one-click tour, microgpt's configuration becoming
SmolLM2's choices one upgrade at a time; `kv_cache_variants` sizes the KV
cache each attention variant needs, from its formula (models/llama/kv_cache.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np

from glasslm.engine.data import name_data
from glasslm.engine.models.llama.kv_cache import kv_cache_bytes
from glasslm.engine.models.tiny.gpt import MAX_LAB_LAYERS, GPTConfig, TinyGPT
from glasslm.engine.training.train import MAX_STEPS, TrainConfig, TrainRun, train_tiny_gpt

MAX_RUNS = 4  # the tour's length; the lab compares two
DEMO_DEPTH = 12  # the lab's default pair: deep enough that a stack without residuals starves its first block
TOUR_DEPTH = 2  # the tour's models: shallow, so four of them train in seconds
TOUR_STEPS = 1_000  # the tour's four depth-2 models: about ten seconds on two busy cores
LAB_LIMITS = {"max_layers": MAX_LAB_LAYERS}
POINTS = 100  # loss points per curve: enough to draw, few enough to stream


@dataclass(frozen=True)
class LabConfig:
    """The recipe every run shares: train.py's, with batches of several names."""

    steps: int = 300
    batch_size: int = 8  # eight names per step: smoother curves than microgpt's one, at a small cost per step
    lr: float = 0.01
    seed: int = 42  # the data order; every model is initialised from init_seed
    init_seed: int = 0
    eval_interval: int = 50

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            steps=self.steps,
            batch_size=self.batch_size,
            lr=self.lr,
            seed=self.seed,
            eval_interval=self.eval_interval,
            n_samples=0,
            attention_interval=MAX_STEPS,
        ).validate()


def train_side_by_side(configs: list[tuple[str, GPTConfig]], lab: LabConfig | None = None, data=None):
    """Train every (name, config) on the same data and batches, one step each in turn; yields events."""
    lab = lab or LabConfig()
    if not 1 <= len(configs) <= MAX_RUNS:
        raise ValueError(f"the lab trains 1 to {MAX_RUNS} configurations at once, got {len(configs)}")
    data = data or name_data.first_names()
    tc = lab.train_config()
    tok = data.tokenizer
    runs = []
    for _, cfg in configs:
        model = TinyGPT(replace(cfg, vocab_size=tok.vocab_size), seed=lab.init_seed, tokenizer=tok, limits=LAB_LIMITS)
        runs.append(TrainRun.create(model=model, data=data, config=tc))
    yield {
        "type": "start",
        "steps": tc.steps,
        "runs": [
            {"name": name, "config": asdict(run.model.config), "n_params": run.model.n_params}
            for (name, _), run in zip(configs, runs)
        ],
    }
    every = max(1, tc.steps // POINTS)
    streams = [train_tiny_gpt(run=run) for run in runs]
    losses = [[] for _ in runs]
    grads = [[] for _ in runs]
    whole = [[] for _ in runs]  # every step's gradient norms, for the run's mean
    live = list(range(len(runs)))
    results: list[dict | None] = [None] * len(runs)
    while live:
        for i in list(live):
            for event in streams[i]:  # up to and including this run's next step (or its end)
                kind = event["type"]
                if kind == "step":
                    norms = runs[i].model.layer_grad_norms()  # the gradient this step's update used
                    grads[i].append(norms)
                    whole[i].append(norms)
                    losses[i].append(event["loss"])
                    if event["step"] % every == 0 or event["step"] == tc.steps:
                        yield {"type": "step", "run": i, "step": event["step"], "loss": float(np.mean(losses[i]))}
                        losses[i] = []
                    break
                if kind == "eval":
                    yield {"type": "eval", "run": i, "step": event["step"], "heldout_loss": event["heldout_loss"]}
                    if grads[i]:
                        yield {"type": "grads", "run": i, "step": event["step"], "norms": _mean(grads[i])}
                        grads[i] = []
                elif kind == "done":
                    results[i] = {
                        "type": "run_done",
                        "run": i,
                        "name": configs[i][0],
                        "n_params": runs[i].model.n_params,
                        "heldout_loss": event["heldout_loss"],
                        "train_loss": event["train_loss"],
                        "steps_per_s": event["steps_per_s"],
                        "grad_norms": _mean(whole[i]) if whole[i] else None,
                        "diverged": event["diverged"],
                        "message": event["message"],
                    }
                    yield results[i]
            else:  # the stream ended
                live.remove(i)
    yield {"type": "done", "runs": results}


def _mean(rows: list[list[float]]) -> list[float]:
    """Per block, the geometric mean of its gradient norms: fair to norms spanning decades."""
    with np.errstate(divide="ignore"):
        return np.exp(np.log(np.asarray(rows)).mean(axis=0)).tolist()


def tour_configs(base: GPTConfig | None = None) -> list[tuple[str, GPTConfig]]:
    """microgpt's configuration, then SmolLM2's choices added one at a time.

    SmolLM2 (the Llama recipe) is pre-norm RMSNorm like microgpt already, and adds
    rotary positions, grouped-query attention (its 9 query heads share 3 key-value
    heads; here 4 share 2) and a SwiGLU MLP.
    """
    base = base or GPTConfig(n_layer=TOUR_DEPTH)
    rope = replace(base, positions="rope")
    gqa = replace(rope, n_kv_head=max(1, base.n_head // 2))
    return [
        ("microgpt", base),
        ("+ rotary positions", rope),
        ("+ grouped-query attention", gqa),
        ("+ SwiGLU MLP", replace(gqa, mlp="swiglu")),
    ]


def kv_cache_variants(
    n_layers: int, n_heads: int, head_dim: int, context: int, grouped: int, bytes_per_value: int = 4
) -> list[dict]:
    """The KV cache for `context` tokens with every query head its own keys and values,
    with `grouped` key-value heads, and with one: bytes = 2 L K D T x bytes per number."""
    variants = [("full multi-head", n_heads), ("grouped-query", grouped), ("multi-query", 1)]
    return [
        {"variant": name, "kv_heads": k, "bytes": kv_cache_bytes(n_layers, k, head_dim, context, bytes_per_value)}
        for name, k in variants
    ]
