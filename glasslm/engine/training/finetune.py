"""Fine-tuning the tiny GPT two ways, side by side: LoRA and full fine-tuning.

A base model is first pretrained on first names (train.py's loop, unchanged).
Then two copies learn a new task - last names - from the same batches in the
same order: one updates every weight ("full fine-tuning"), the other keeps
every weight frozen and trains only LoRA adapters (lora.py). Both held-out
losses are measured on the same held-out last names at the same steps, so the
two curves can be drawn on one chart and compared fairly.

`compare_finetuning(...)` is a generator of small dicts, like train.py's:
    start   {steps, base_params, full_trainable, lora_trainable, lora_share, ...}
    eval    {step, full, lora}              held-out loss (nats per character) of each
    samples {step, full, lora}              names from each model, the same seed
    done    {step, full, lora, diverged, message, first_names, samples, spectrum}
The runs are kept in `FineTuneRun`s, which the caller may read afterwards
(merge the adapters, sample more).

Left out on purpose: learning-rate schedules (both runs use a constant rate,
so the comparison is about the parameters trained, not the schedule), weight
decay, and mixed data (a real fine-tune often mixes some old data in to limit
forgetting; here the held-out first-name loss shows the forgetting instead).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from glasslm.engine.autograd.optim import Adam
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.training.lora import LoRAConfig, LoRAGPT, copy_model
from glasslm.engine.training.train import Docs, TrainConfig, heldout_loss, train_tiny_gpt

MAX_FT_STEPS = 5_000  # a comparison runs both models: a few seconds to a minute
MAX_FT_BATCH = 64
EVAL_NAMES = 300  # held-out names per evaluation: both models are measured ~16 times a run, keep it quick
SAMPLE_TEMPERATURE = 0.5  # as train.py: typical, readable names


@dataclass
class FineTuneRun:
    """One model being fine-tuned: what is trained, its optimizer, its curve."""

    name: str  # "full" or "lora"
    model: object  # TinyGPT (full) or LoRAGPT
    optimizer: Adam
    lr: float
    curve: list  # [(step, held-out loss)]

    @classmethod
    def create(cls, name: str, model, lr: float, beta1: float = 0.9, beta2: float = 0.99) -> "FineTuneRun":
        return cls(name, model, Adam([model.params.flat], lr, beta1, beta2), lr, [])

    @property
    def trainable(self) -> int:
        return self.model.params.size

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One forward/backward pass and one Adam step on the trainable numbers only."""
        with np.errstate(all="ignore"):
            loss = self.model.loss_and_grad(x, y)
        if math.isfinite(loss):
            self.optimizer.step([self.model.params.flat_grad], self.lr)
        return loss


def update_spectra(base: TinyGPT, tuned: TinyGPT, adapted: LoRAGPT, target: str, layer: int = 0) -> dict:
    """Singular values of the change each run made to one matrix (largest first).

    LoRA's change (alpha/r) B A has rank at most r, so all but r of its values are
    zero; full fine-tuning's change may use every direction, and how fast its values
    fall says how low-rank the change it chose really is (Hu et al. 2021, Section 7).
    """
    name = f"layer{layer}.{target}"
    full_delta = tuned.params[name].data - base.params[name].data  # (out, in)
    return {
        "target": target,
        "layer": layer,
        "full": np.linalg.svd(full_delta, compute_uv=False).tolist(),
        "lora": np.linalg.svd(adapted.delta(layer, target), compute_uv=False).tolist(),
    }


def pretrain_base(
    steps: int = 600,
    batch_size: int = 16,
    lr: float = 0.01,
    model_config: GPTConfig | None = None,
    seed: int = 42,
    init_seed: int = 0,
):
    """Pretrain a tiny GPT on first names with train.py's loop; yields its events, returns the model.

    Use as `model = yield from pretrain_base(...)`.
    """
    data = name_data.first_names()
    config = model_config or GPTConfig()
    model = TinyGPT(replace(config, vocab_size=data.tokenizer.vocab_size), seed=init_seed, tokenizer=data.tokenizer)
    every = max(1, steps // 10)
    tc = TrainConfig(
        steps=steps,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        eval_interval=every,
        sample_interval=steps,
        attention_interval=10 * steps,
        n_samples=0,
    )
    for event in train_tiny_gpt(model=model, data=data, config=tc):
        if event["type"] in ("eval", "done"):
            yield {**event, "phase": "pretrain"}
    return model


def target_data(base: TinyGPT) -> name_data.NameData:
    """Last names, checked to use only characters the base model knows."""
    data = name_data.last_names()
    if data.tokenizer != base.tokenizer:
        raise ValueError(
            f"the last names use the characters {data.tokenizer.chars!r}, the base model knows "
            f"{base.tokenizer.chars!r}: both must share one vocabulary"
        )
    return data


def compare_finetuning(
    base: TinyGPT,
    lora: LoRAConfig,
    steps: int = 500,
    batch_size: int = 16,
    lr_full: float = 0.003,
    lr_lora: float = 0.01,
    eval_interval: int = 50,
    n_samples: int = 8,
    seed: int = 0,
    runs: dict | None = None,
):
    """Fine-tune a full copy and a LoRA copy of `base` on last names; yield events (module docstring).

    `runs`, if given, is filled with the two FineTuneRuns as soon as they exist.
    The base model itself is never changed.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= MAX_FT_STEPS:
        raise ValueError(f"steps must be a whole number from 1 to {MAX_FT_STEPS:,}, got {steps!r}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_FT_BATCH:
        raise ValueError(f"batch_size must be a whole number from 1 to {MAX_FT_BATCH}, got {batch_size!r}")
    for label, lr in (("lr_full", lr_full), ("lr_lora", lr_lora)):
        if not isinstance(lr, (int, float)) or not math.isfinite(lr) or not 0 < lr <= 1:
            raise ValueError(f"{label} must be a number above 0 and at most 1, got {lr!r}")
    data = target_data(base)
    tok, block = base.tokenizer, base.config.block_size
    train_docs, held_docs = Docs(data.train, tok), Docs(data.heldout[:EVAL_NAMES], tok)
    first_held = Docs(name_data.first_names().heldout[:EVAL_NAMES], tok)  # how much of the old task each run forgets
    full = FineTuneRun.create("full", copy_model(base), lr_full)
    adapted = FineTuneRun.create("lora", LoRAGPT(base, lora, seed=seed), lr_lora)
    pair = (full, adapted)
    if runs is not None:
        runs.update(full=full, lora=adapted)
    base_loss = heldout_loss(base, held_docs)
    yield {
        "type": "start",
        "steps": steps,
        "base_params": base.n_params,
        "full_trainable": full.trainable,
        "lora_trainable": adapted.trainable,
        "lora_share": adapted.trainable / base.n_params,
        "rank": lora.rank,
        "alpha": lora.alpha,
        "targets": list(lora.targets),
        "n_train": len(data.train),
        "n_heldout": len(data.heldout),
        "base_heldout": base_loss,
        "base_first_names": heldout_loss(base, first_held),
        "base_samples": sample(base, n=n_samples, temperature=SAMPLE_TEMPERATURE, seed=seed) if n_samples else [],
    }
    for r in pair:
        r.curve.append((0, base_loss))
    yield {"type": "eval", "step": 0, "full": base_loss, "lora": base_loss}

    rng = np.random.default_rng(seed)
    diverged, message, step = False, "", 0
    for step in range(1, steps + 1):
        rows = rng.integers(0, len(train_docs), batch_size)
        x, y = train_docs.batch(rows, block, rng)  # the same batch for both runs
        losses = [r.step(x, y) for r in pair]
        bad = [r.name for r, loss in zip(pair, losses) if not math.isfinite(loss)]
        if bad:
            diverged = True
            message = (
                f"the {' and '.join(bad)} run's loss stopped being a number at step {step}: "
                "lower its learning rate and start again"
            )
            break
        yield {"type": "step", "step": step, "full": losses[0], "lora": losses[1]}
        if step % eval_interval == 0 or step == steps:
            held = [heldout_loss(r.model, held_docs) for r in pair]
            for r, h in zip(pair, held):
                r.curve.append((step, h))
            yield {"type": "eval", "step": step, "full": held[0], "lora": held[1]}
    result = {
        "type": "done",
        "step": step,
        "diverged": diverged,
        "message": message,
        "full": full.curve[-1][1],
        "lora": adapted.curve[-1][1],
    }
    if not diverged:
        result["first_names"] = {r.name: heldout_loss(r.model, first_held) for r in pair}
        result["spectrum"] = update_spectra(base, full.model, adapted.model, lora.targets[0])
        if n_samples:
            result["samples"] = {
                r.name: sample(r.model, n=n_samples, temperature=SAMPLE_TEMPERATURE, seed=seed) for r in pair
            }
    yield result
