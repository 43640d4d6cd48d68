"""Training the tiny GPT, as a stream of events.

`train_tiny_gpt(...)` is a generator: each training step yields a small dict
(its "type" says what it is), so the command line prints a progress bar, the
web server streams the same dicts to the browser, and tests assert on them -
one loop, three consumers. Stopping is just not asking for the next event;
resuming is calling it again with the same `TrainRun`, which holds everything
that changes (model, optimizer moments, step, data order, random state).

Events, in order:
    start      {step, n_params, param_counts, vocab, n_train, n_heldout, schedule, bigram_heldout_loss}
    step       {step, loss, lr, tokens_per_s}                     every step
    eval       {step, heldout_loss, train_loss}                   every eval_interval, first and last
    samples    {step, names}                                      every sample_interval and last
    attention  {step, probe, tokens, layers: [[T x T per head]]}  every attention_interval, first and last
    done       {step, heldout_loss, train_loss, steps_per_s, elapsed_s, diverged, message}

`train_default_tiny_gpt()` is the same loop with the default settings and a
last {"type": "model"} event: the model a server trains once and lends.

The recipe is microgpt's: one document per step, Adam (beta1 0.85, beta2
0.99), learning rate 0.01 decaying linearly to 0. Batches of several documents
are padded to the longest and the padding is not counted in the loss.
Left out on purpose: gradient clipping, weight decay, mixed precision.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np

from glasslm.engine.autograd.optim import OPTIMIZERS, Schedule
from glasslm.engine.data import name_data
from glasslm.engine.models.tiny.bigram import bigram_baseline
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, sample

MAX_STEPS = 100_000  # minutes of training at most, on a laptop
MAX_BATCH = 512
MAX_LR = 10.0
MAX_EVAL_DOCS = 2_000  # held-out documents measured at each eval (all of them for first names)
EVAL_CHUNK = 512  # documents per forward pass when measuring held-out loss
TRAIN_LOSS_WINDOW = 50  # steps averaged into the "train_loss" of eval events
SCHEDULES = ("constant", "linear", "cosine")


@dataclass(frozen=True)
class TrainConfig:
    steps: int = 1000  # microgpt's run length: names appear after a few hundred steps
    batch_size: int = 1  # one name per step, as microgpt
    lr: float = 0.01  # microgpt's Adam learning rate
    optimizer: str = "adam"  # "adam", "sgd" or "momentum" (glasslm/engine/autograd/optim.py)
    schedule: str = "linear"  # decay to 0 at the last step, as microgpt
    warmup: int = 0  # steps of linear warm-up; not needed at this size
    beta1: float = 0.85  # microgpt's Adam betas: shorter memory than the usual 0.9/0.999,
    beta2: float = 0.99  # which suits a 1,000-step run
    eval_interval: int = 100  # held-out loss 10 times per default run: a smooth enough curve
    sample_interval: int = 100  # new samples at the same rhythm
    attention_interval: int = 50  # attention maps change fastest early on
    n_samples: int = 10  # a screenful of names
    temperature: float = 0.5  # microgpt's sampling temperature: typical, readable names
    seed: int = 42  # data order and sampling; the model's init has its own seed
    probe: str | None = None  # the name whose attention maps are shown; None: the first held-out name of the data

    def validate(self) -> "TrainConfig":
        """Raise ValueError naming the bad setting and the allowed range."""

        def whole(name, value, low, high):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {value!r}")

        whole("steps", self.steps, 1, MAX_STEPS)
        whole("batch_size", self.batch_size, 1, MAX_BATCH)
        whole("warmup", self.warmup, 0, self.steps)
        for name in ("eval_interval", "sample_interval", "attention_interval"):
            whole(name, getattr(self, name), 1, MAX_STEPS)
        whole("n_samples", self.n_samples, 0, 100)
        whole("seed", self.seed, 0, 2**32 - 1)
        if not isinstance(self.lr, (int, float)) or not math.isfinite(self.lr) or not 0 < self.lr <= MAX_LR:
            raise ValueError(f"lr must be a finite number above 0 and at most {MAX_LR}, got {self.lr!r}")
        for name in ("beta1", "beta2"):
            b = getattr(self, name)
            if not isinstance(b, (int, float)) or not 0 <= b < 1:
                raise ValueError(f"{name} must be a number in [0, 1), got {b!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {self.schedule!r}")
        if not isinstance(self.temperature, (int, float)) or not 0 <= self.temperature <= 10:
            raise ValueError(f"temperature must be a number from 0 to 10, got {self.temperature!r}")
        return self

    def lr_schedule(self) -> Schedule:
        return Schedule(self.lr, self.steps, self.schedule, self.warmup)


class Docs:
    """Documents as one flat id array: document i is [BOS] + doc i + [BOS] at starts[i].

    Flat rather than a padded matrix, so one long line among many short ones
    does not multiply the memory by its length.
    """

    def __init__(self, docs: list[str], tokenizer):
        encoded = [tokenizer.encode_doc(d) for d in docs]
        self.bos = tokenizer.bos
        self.lengths = np.array([len(e) for e in encoded], dtype=np.int64)  # (n_docs,)
        self.starts = np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)  # (n_docs,)
        self.flat = np.fromiter((i for e in encoded for i in e), dtype=np.int32, count=int(self.lengths.sum()))

    def __len__(self) -> int:
        return len(self.lengths)

    def batch(self, rows: np.ndarray, block_size: int, rng: np.random.Generator | None = None):
        """inputs (B, T) and targets (B, T), -1 where a shorter document has ended.

        A document longer than the context is cut to one window of block_size+1
        ids: at a random place when training (rng given), its start otherwise.
        Inputs past a document's end are BOS (never predicted from: causal).
        """
        lens = self.lengths[rows]  # (B,)
        n = np.minimum(lens - 1, block_size)  # predictions per document
        T = int(n.max())
        crop = rng.integers(0, lens - n) if rng is not None else np.zeros_like(lens)  # (B,)
        pos = (self.starts[rows] + crop)[:, None] + np.arange(T + 1)  # (B, T+1) positions in flat
        inside = pos < (self.starts[rows] + lens)[:, None]
        window = np.where(inside, self.flat[np.minimum(pos, len(self.flat) - 1)], self.bos).astype(np.int64)
        x = window[:, :T]
        y = window[:, 1:].copy()
        y[np.arange(T)[None, :] >= n[:, None]] = -1  # padding: not predicted
        return x, y


def shuffled_rows(
    rng: np.random.Generator, n_docs: int, order: np.ndarray | None, cursor: int, batch_size: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The next batch_size rows of shuffled passes over n_docs documents: (rows, order, cursor).

    Each pass is a fresh permutation; a batch that runs past the end of one
    pass continues into the next. Kept as plain state so a run can resume, and
    shared by the numpy and the PyTorch trainers (same seed, same batches).
    """
    rows: list[int] = []
    while len(rows) < batch_size:
        if order is None or cursor >= len(order):
            order, cursor = rng.permutation(n_docs), 0
        take = order[cursor : cursor + batch_size - len(rows)]
        cursor += len(take)
        rows.extend(take.tolist())
    return np.array(rows, dtype=np.int64), order, cursor


def heldout_loss(model: TinyGPT, docs: Docs) -> float | None:
    """Mean loss per predicted character over (up to MAX_EVAL_DOCS) held-out documents.

    None if the model has diverged (the loss is not a finite number).
    """
    total, count = 0.0, 0
    with np.errstate(all="ignore"):
        for lo in range(0, min(len(docs), MAX_EVAL_DOCS), EVAL_CHUNK):
            rows = np.arange(lo, min(lo + EVAL_CHUNK, len(docs), MAX_EVAL_DOCS))
            x, y = docs.batch(rows, model.config.block_size)
            n = int((y >= 0).sum())
            total += model.loss(x, y) * n
            count += n
    return total / count if math.isfinite(total) else None


@dataclass
class TrainRun:
    """Everything a training run changes, so that it can stop and resume."""

    model: TinyGPT
    data: name_data.NameData
    config: TrainConfig
    optimizer: object
    rng: np.random.Generator
    train_docs: Docs
    heldout_docs: Docs
    bigram_heldout_loss: float
    step: int = 0
    order: np.ndarray | None = None  # this epoch's shuffled document order
    cursor: int = 0  # position in `order`
    recent: list | None = None  # last TRAIN_LOSS_WINDOW step losses

    @classmethod
    def create(
        cls,
        model: TinyGPT | None = None,
        data: name_data.NameData | None = None,
        config: TrainConfig | None = None,
        model_config: GPTConfig | None = None,
        init_seed: int = 0,
    ) -> "TrainRun":
        config = (config or TrainConfig()).validate()
        data = data or name_data.first_names()
        tok = data.tokenizer
        if model is None:
            mc = model_config or GPTConfig()
            model = TinyGPT(replace(mc, vocab_size=tok.vocab_size), seed=init_seed, tokenizer=tok)
        elif model.config.vocab_size != tok.vocab_size:
            raise ValueError(
                f"the model's vocabulary ({model.config.vocab_size}) does not match the data's "
                f"({tok.vocab_size} = {len(tok.chars)} characters + BOS)"
            )
        if model.tokenizer is None:
            model.tokenizer = tok
        kind = OPTIMIZERS[config.optimizer]
        params = [model.params.flat]
        opt = (
            kind(params, config.lr, config.beta1, config.beta2)
            if config.optimizer == "adam"
            else kind(params, config.lr)
        )
        block = model.config.block_size
        return cls(
            model=model,
            data=data,
            config=config,
            optimizer=opt,
            rng=np.random.default_rng(config.seed),
            train_docs=Docs(data.train, tok),
            heldout_docs=Docs(data.heldout, tok),
            bigram_heldout_loss=bigram_baseline(data.train, data.heldout, tok, block),
            recent=[],
        )

    def next_rows(self, batch_size: int) -> np.ndarray:
        """The next batch_size documents of a shuffled pass through the training set."""
        rows, self.order, self.cursor = shuffled_rows(
            self.rng, len(self.train_docs), self.order, self.cursor, batch_size
        )
        return rows

    def train_loss(self) -> float | None:
        return float(np.mean(self.recent)) if self.recent else None


def attention_event(run: TrainRun) -> dict | None:
    """Attention maps of the probe name; None if the model has diverged (NaN weights)."""
    model, tok = run.model, run.model.tokenizer
    probe = run.config.probe
    if not probe or any(c not in tok.chars for c in probe):
        probe = run.data.heldout[0]  # a name from the data being learned (last names show a last name)
    probe = probe[: model.config.block_size - 1]
    with np.errstate(all="ignore"):
        tr = model.trace(probe)
    if not all(np.all(np.isfinite(att)) for att in tr["attention"]):
        return None
    layers = [[np.round(head, 4).tolist() for head in att[0]] for att in tr["attention"]]  # per layer, per head (T, T)
    return {"type": "attention", "step": run.step, "probe": probe, "tokens": tr["tokens"], "layers": layers}


def train_tiny_gpt(
    model: TinyGPT | None = None,
    data: name_data.NameData | None = None,
    config: TrainConfig | None = None,
    *,
    run: TrainRun | None = None,
    **settings,
):
    """Train (or continue training) the tiny GPT, yielding events (see the module docstring).

    `settings` override TrainConfig fields: train_tiny_gpt(steps=300, lr=0.02).
    Pass `run` (a TrainRun) to resume it; `model` is trained in place.
    """
    if run is None:
        config = replace(config or TrainConfig(), **settings)
        run = TrainRun.create(model=model, data=data, config=config)
    elif settings or model is not None or data is not None or config is not None:
        raise ValueError("when resuming a run, change its settings with run.config, not arguments")
    cfg = run.config.validate()
    model = run.model
    schedule = cfg.lr_schedule()
    flat_grad = [model.params.flat_grad]
    block = model.config.block_size

    yield {
        "type": "start",
        "step": run.step,
        "steps": cfg.steps,
        "n_params": model.n_params,
        "param_counts": model.param_counts(),
        "vocab": model.tokenizer.vocab_size,
        "n_train": len(run.data.train),
        "n_heldout": len(run.data.heldout),
        "config": asdict(model.config),
        "train_config": asdict(cfg),
        "schedule": schedule.curve(),
        "bigram_heldout_loss": run.bigram_heldout_loss,
    }
    if run.step == 0:
        yield {"type": "eval", "step": 0, "heldout_loss": heldout_loss(model, run.heldout_docs), "train_loss": None}
        if att := attention_event(run):
            yield att

    first_step, tokens, busy, began = run.step, 0, 0.0, time.perf_counter()
    message, diverged, last_eval, evaluated_at = "", False, None, None
    while run.step < cfg.steps:
        x, y = run.train_docs.batch(run.next_rows(cfg.batch_size), block, run.rng)
        t0 = time.perf_counter()
        with np.errstate(all="ignore"):  # a diverging run is caught just below, with a better message
            loss = model.loss_and_grad(x, y)
        if not math.isfinite(loss):
            diverged = True
            message = (
                f"the loss became {loss} at step {run.step + 1}: training diverged. "
                "Lower the learning rate and start again."
            )
            break
        lr = schedule(run.step)
        run.optimizer.step(flat_grad, lr)
        busy += time.perf_counter() - t0
        run.step += 1
        tokens += int((y >= 0).sum())
        run.recent.append(loss)
        del run.recent[:-TRAIN_LOSS_WINDOW]
        yield {"type": "step", "step": run.step, "loss": loss, "lr": lr, "tokens_per_s": tokens / max(busy, 1e-9)}
        last = run.step == cfg.steps
        if run.step % cfg.eval_interval == 0 or last:
            last_eval, evaluated_at = heldout_loss(model, run.heldout_docs), run.step
            yield {"type": "eval", "step": run.step, "heldout_loss": last_eval, "train_loss": run.train_loss()}
        if cfg.n_samples and (run.step % cfg.sample_interval == 0 or last):
            with np.errstate(all="ignore"):
                names = sample(model, n=cfg.n_samples, temperature=cfg.temperature, seed=run.step)
            yield {"type": "samples", "step": run.step, "names": names}
        if (run.step % cfg.attention_interval == 0 or last) and (att := attention_event(run)):
            yield att

    elapsed = time.perf_counter() - began
    done_steps = run.step - first_step
    yield {
        "type": "done",
        "step": run.step,
        "steps": cfg.steps,
        "heldout_loss": None
        if diverged
        else (last_eval if evaluated_at == run.step else heldout_loss(model, run.heldout_docs)),
        "train_loss": run.train_loss(),
        "bigram_heldout_loss": run.bigram_heldout_loss,
        "steps_per_s": done_steps / busy if busy else None,
        "elapsed_s": elapsed,
        "diverged": diverged,
        "message": message,
    }


DEFAULT_STEPS = 1_000  # the default recipe's length: a few seconds here, names already name-like


def train_default_tiny_gpt(steps: int = DEFAULT_STEPS):
    """The default tiny GPT (microgpt's config and this file's recipe on first names, seed 42).

    Yields train_tiny_gpt's events with the held-out measurements, samples and
    attention maps thinned to the last step (a server trains it in the
    background, where nothing draws them), then {"type": "model", "model"}.
    Raises RuntimeError if training diverged.
    """
    config = replace(
        TrainConfig(), steps=steps, eval_interval=steps, sample_interval=steps, attention_interval=steps, n_samples=0
    )
    run = TrainRun.create(config=config)
    for event in train_tiny_gpt(run=run):  # trains run.model in place
        if event["type"] == "done" and event["diverged"]:
            raise RuntimeError(event["message"])
        yield event
    yield {"type": "model", "model": run.model}
