"""The tiny GPT, a plain RNN and an LSTM trained side by side on the same names, as a stream of events.

All three have about 4,200 weights, see the same batches in the same order and
follow the same recipe (train.py's TrainConfig: Adam, linear decay), so their
loss curves differ only by architecture. Each one's busy time is measured
separately, which gives its steps per second.

Events, in order:
    start   {steps, models: {name: {kind, n_params, n_hidden, chain: {T: ops}}}, n_train, n_heldout}
    bptt    {step, models: {rnn: {h}, lstm: {h, c}}}      first and last: gradient norm per step back
    step    {step, losses: {name: loss}}                  every step
    eval    {step, heldout: {name: loss}}                 every eval_interval, first and last
    done    {step, heldout, steps_per_s: {name: ...}, samples: {name: [...]}, elapsed_s, diverged, message}
"""

from __future__ import annotations

import math
import time
from dataclasses import replace

import numpy as np

from glasslm.engine.autograd.optim import Adam
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample
from glasslm.engine.models.tiny.rnn import (
    DEFAULT_HIDDEN,
    CharRNN,
    RNNConfig,
    gradient_through_time,
)
from glasslm.engine.training.train import Docs, TrainConfig, heldout_loss

NAMES = ("gpt", "rnn", "lstm")
PROBE_WINDOWS = 64  # held-out windows averaged in the gradient-through-time measurement
CHAIN_LENGTHS = (4, 8, 16)  # sequence lengths at which the longest chain of operations is counted


def longest_chain(model, T: int) -> int:
    """The most operations that must run one after another in a forward pass over T characters.

    Counted on the real computation graph the model builds for one (1, T)
    sequence: the longest path from an input to the loss. Operations not on
    one path can run at the same time (a GPU does); those on it cannot. For a
    transformer it does not grow with T; for a recurrent network it grows with
    every character, because step t needs step t-1's result.
    """
    x = np.zeros((1, T), dtype=np.int64)
    _, loss = model.forward(x, x)
    depth: dict[int, int] = {}
    stack = [(loss, False)]
    while stack:  # iterative post-order: a node's depth after all its inputs'
        node, ready = stack.pop()
        if id(node) in depth:
            continue
        if ready or not node._prev:
            depth[id(node)] = 1 + max((depth[id(p)] for p in node._prev), default=-1) if node._prev else 0
            continue
        stack.append((node, True))
        stack.extend((p, False) for p in node._prev if id(p) not in depth)
    return depth[id(loss)]


def build_models(vocab_size: int, block_size: int = 16, seed: int = 0, tokenizer=None) -> dict:
    """The default tiny GPT and the two recurrent networks of about its size."""
    gpt = TinyGPT(GPTConfig(vocab_size=vocab_size, block_size=block_size), seed=seed, tokenizer=tokenizer)
    rnns = {
        kind: CharRNN(
            RNNConfig(kind=kind, vocab_size=vocab_size, n_hidden=DEFAULT_HIDDEN[kind], block_size=block_size),
            seed=seed,
            tokenizer=tokenizer,
        )
        for kind in ("rnn", "lstm")
    }
    return {"gpt": gpt, **rnns}


def probe_windows(docs: Docs, length: int, n: int = PROBE_WINDOWS, seed: int = 0):
    """n windows of `length` ids cut from the documents run together (names separated by BOS)."""
    rng = np.random.default_rng(seed)
    starts = rng.integers(0, len(docs.flat) - length - 1, n)
    pos = starts[:, None] + np.arange(length + 1)  # (n, length+1)
    window = docs.flat[pos].astype(np.int64)
    return window[:, :-1], window[:, 1:]


def bptt_event(models: dict, step: int, x: np.ndarray, y: np.ndarray) -> dict:
    out = {}
    with np.errstate(all="ignore"):
        for name in ("rnn", "lstm"):
            out[name] = gradient_through_time(models[name], x, y)
    return {"type": "bptt", "step": step, "models": out}


def _heldout(models: dict, docs: Docs) -> dict:
    return {name: heldout_loss(m, docs) for name, m in models.items()}


def train_side_by_side(
    data: name_data.NameData | None = None, config: TrainConfig | None = None, should_stop=lambda: False, **settings
):
    """Train the three models on the same batches, yielding events (see the module docstring).

    `settings` override TrainConfig fields (steps, batch_size, lr, seed...).
    `should_stop` is asked before every step.
    """
    cfg = replace(config or TrainConfig(), **settings).validate()
    data = data or name_data.first_names()
    tok = data.tokenizer
    models = build_models(tok.vocab_size, tokenizer=tok)
    block = models["gpt"].config.block_size
    train_docs, held = Docs(data.train, tok), Docs(data.heldout, tok)
    rng = np.random.default_rng(cfg.seed)
    schedule = cfg.lr_schedule()
    opts = {name: Adam([m.params.flat], cfg.lr, cfg.beta1, cfg.beta2) for name, m in models.items()}
    busy = {name: 0.0 for name in models}
    px, py = probe_windows(held, block)

    yield {
        "type": "start",
        "steps": cfg.steps,
        "n_train": len(data.train),
        "n_heldout": len(data.heldout),
        "batch_size": cfg.batch_size,
        "lr": cfg.lr,
        "models": {
            name: {
                "kind": name,
                "n_params": m.n_params,
                "param_counts": m.param_counts(),
                "n_hidden": getattr(m.config, "n_hidden", None),
                "chain": {T: longest_chain(m, T) for T in CHAIN_LENGTHS},
            }
            for name, m in models.items()
        },
    }
    yield bptt_event(models, 0, px, py)
    yield {"type": "eval", "step": 0, "heldout": _heldout(models, held)}

    began, step, diverged, message = time.perf_counter(), 0, False, ""
    order, cursor = rng.permutation(len(train_docs)), 0
    while step < cfg.steps:
        if should_stop():
            yield {"type": "stopped", "step": step}
            return
        if cursor + cfg.batch_size > len(order):
            order, cursor = rng.permutation(len(train_docs)), 0
        x, y = train_docs.batch(order[cursor : cursor + cfg.batch_size], block, rng)
        cursor += cfg.batch_size
        lr = schedule(step)
        losses = {}
        for name, m in models.items():
            t0 = time.perf_counter()
            with np.errstate(all="ignore"):
                loss = m.loss_and_grad(x, y)
            if math.isfinite(loss):
                opts[name].step([m.params.flat_grad], lr)
            busy[name] += time.perf_counter() - t0
            losses[name] = loss
        step += 1
        bad = [name for name, v in losses.items() if not math.isfinite(v)]
        if bad:
            diverged = True
            message = (
                f"the {bad[0].upper()}'s loss became {losses[bad[0]]} at step {step}: training diverged. "
                "Lower the learning rate and start again."
            )
            break
        yield {"type": "step", "step": step, "losses": losses, "lr": lr}
        if step % cfg.eval_interval == 0 or step == cfg.steps:
            yield {"type": "eval", "step": step, "heldout": _heldout(models, held)}

    if not diverged:
        yield bptt_event(models, step, px, py)
    samples = {}
    if cfg.n_samples and not diverged:
        samples = {
            name: sample(m, n=cfg.n_samples, temperature=cfg.temperature, seed=step) for name, m in models.items()
        }
    yield {
        "type": "done",
        "step": step,
        "steps": cfg.steps,
        "heldout": None if diverged else _heldout(models, held),
        "steps_per_s": {name: (step / b if b else None) for name, b in busy.items()},
        "samples": samples,
        "elapsed_s": time.perf_counter() - began,
        "diverged": diverged,
        "message": message,
    }
