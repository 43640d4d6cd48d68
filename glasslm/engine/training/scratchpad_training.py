"""Two tiny GPTs trained side by side: one answers at once, one writes its work first.

Both models have the same width and depth (TinyGPT from gpt.py), the same
optimizer (Adam from optim.py) and schedule, and see the same additions in
the same order (arithmetic_data.py). The only difference is what follows the
question: the bare answer, or a scratchpad of column steps and then the
answer. The loss counts only what the model is asked to write (never the
question's own characters).

Some scratchpad examples (cut_fraction of them) are cut after a random number
of steps, so that the model learns to answer from unfinished work: that is
what lets inference/thinking_budget.budget_study cap its thinking.

Accuracy while training is the greedy *exact match* on held-out problems:
the model's greedy output is entirely right, work and answer. It is computed
with one teacher-forced pass: greedy decoding writes the right text exactly
when, at every position, the most likely next character given the right text
so far is the right character (the tests check this against real decoding).
At the end, real greedy decoding gives the answer accuracy (an answer can be
right after a slip in the work, or wrong after correct work).

Events, in order:
    start    {steps, n_params: {fmt}, seq_len: {fmt}, digits, n_heldout, example: {fmt: text}}
    step     {step, loss: {fmt}, lr}                                   every step
    eval     {step, accuracy: {fmt}}                                   step 0, every eval_interval, last
    samples  {step, rows: [{question, truth, direct, scratchpad}]}     with each eval
    done     {step, accuracy: {fmt}, answer_accuracy: {fmt}, elapsed_s, steps_per_s, diverged, message}

Left out: dropout, weight decay, curricula, longer problems than trained on.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from glasslm.engine.autograd.optim import Adam, Schedule
from glasslm.engine.data.arithmetic_data import FORMATS, ArithmeticTask, check_digits, completion, parse_answer, prompt
from glasslm.engine.models.tiny.gpt import GPTConfig, TinyGPT, generate

MAX_STEPS = 5_000
MAX_BATCH = 128
N_SHOWN = 3  # held-out problems whose written work is shown with each evaluation


@dataclass(frozen=True)
class ReasoningConfig:
    digits: int = 4  # four-digit sums: the direct model is far behind after a few hundred steps
    steps: int = 400  # the scratchpad model is near 100 % by then (about half a minute on 2 cores)
    batch_size: int = 32  # problems per step for each model
    lr: float = 0.01  # Adam's rate, decayed linearly to 0
    n_embd: int = 32  # width: 16 learns the scratchpad too slowly, 64 trains ~3x slower
    n_layer: int = 2  # one block cannot both look up the digits and add them well
    n_head: int = 4
    cut_fraction: float = 0.5  # scratchpads cut short, so a budget can stop the work (0.3: a cliff, 3 of 4 steps ~5 %)
    n_heldout: int = 100  # held-out problems: accuracy in 1 % steps
    eval_interval: int = 40  # ten evaluations per default run
    seed: int = 0  # data order, initial weights and held-out problems

    def validate(self) -> "ReasoningConfig":
        check_digits(self.digits)

        def whole(name, low, high):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not low <= v <= high:
                raise ValueError(f"{name} must be a whole number from {low:,} to {high:,}, got {v!r}")

        whole("steps", 1, MAX_STEPS)
        whole("batch_size", 1, MAX_BATCH)
        whole("eval_interval", 1, MAX_STEPS)
        whole("seed", 0, 2**32 - 1)
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and 0 < self.lr <= 1):
            raise ValueError(f"lr must be a number above 0 and at most 1, got {self.lr!r}")
        if not (isinstance(self.cut_fraction, (int, float)) and 0 <= self.cut_fraction <= 1):
            raise ValueError(f"cut_fraction must be a number from 0 to 1, got {self.cut_fraction!r}")
        return self


class ReasoningRun:
    """The task, both models, their optimizers and the data stream: all a run changes."""

    def __init__(self, config: ReasoningConfig | None = None):
        self.config = cfg = (config or ReasoningConfig()).validate()
        self.task = ArithmeticTask(cfg.digits, cfg.n_heldout, cfg.seed)
        tok = self.task.tokenizer
        self.models: dict[str, TinyGPT] = {}
        self.optimizers: dict[str, Adam] = {}
        for fmt in FORMATS:
            mc = GPTConfig(
                vocab_size=tok.vocab_size,
                block_size=self.task.seq_len(fmt) - 1,
                n_layer=cfg.n_layer,
                n_embd=cfg.n_embd,
                n_head=cfg.n_head,
            )
            self.models[fmt] = TinyGPT(mc, seed=cfg.seed, tokenizer=tok)
            self.optimizers[fmt] = Adam([self.models[fmt].params.flat], cfg.lr, 0.9, 0.99)
        self.schedule = Schedule(cfg.lr, cfg.steps, "linear")
        self.rng = np.random.default_rng(cfg.seed)
        self.step = 0

    def next_batch(self):
        """This step's problems and, for the scratchpad model, where each one is cut (None: not cut)."""
        cfg = self.config
        pairs = self.task.train_pairs(self.rng, cfg.batch_size)
        cut = self.rng.random(cfg.batch_size) < cfg.cut_fraction
        steps = self.rng.integers(0, cfg.digits, cfg.batch_size)  # 0 .. digits-1 steps kept
        return pairs, [int(s) if c else None for c, s in zip(cut, steps)]


def exact_match(model: TinyGPT, task: ArithmeticTask, pairs: list[tuple[int, int]], fmt: str) -> float:
    """Fraction of problems whose greedy output is exactly the right completion (one forward pass)."""
    x, y = task.batch(pairs, fmt)  # (B, T) each
    with np.errstate(all="ignore"):
        logits, _ = model.forward(x)
    guess = logits.data.reshape(len(pairs), x.shape[1], -1).argmax(axis=-1)  # (B, T)
    right = (guess == y) | (y < 0)  # only counted positions must match
    return float(right.all(axis=1).mean())


def greedy_text(model: TinyGPT, task: ArithmeticTask, pairs: list[tuple[int, int]]) -> list[str]:
    """What the model writes (greedy) after each question, up to (not including) its BOS."""
    tok = task.tokenizer
    return [tok.decode(ids) for ids in generate(model, task.encode_prompts(pairs), tok.bos)]


def answer_accuracy(model: TinyGPT, task: ArithmeticTask, pairs: list[tuple[int, int]], fmt: str) -> float:
    """Fraction of problems whose greedily decoded answer equals a + b."""
    texts = greedy_text(model, task, pairs)
    return sum(parse_answer(t, fmt) == a + b for t, (a, b) in zip(texts, pairs)) / len(pairs)


def worked_examples(run: ReasoningRun, n: int = N_SHOWN) -> list[dict]:
    """What each model writes (greedy) for the first n held-out problems."""
    pairs = run.task.heldout[:n]
    outs = {fmt: greedy_text(m, run.task, pairs) for fmt, m in run.models.items()}
    return [
        {
            "question": prompt(a, b, run.task.digits),
            "truth": a + b,
            **{fmt: {"text": outs[fmt][i], "answer": parse_answer(outs[fmt][i], fmt)} for fmt in outs},
        }
        for i, (a, b) in enumerate(pairs)
    ]


def train_reasoning(run: ReasoningRun):
    """Train both models of `run` (in place), yielding events (see the module docstring).

    Calling it again with the same run continues where it stopped.
    """
    cfg, task = run.config, run.task
    yield {
        "type": "start",
        "step": run.step,
        "steps": cfg.steps,
        "digits": cfg.digits,
        "n_heldout": len(task.heldout),
        "config": asdict(cfg),
        "n_params": {f: m.n_params for f, m in run.models.items()},
        "seq_len": {f: task.seq_len(f) for f in run.models},
        "example": {f: prompt(37, 48, cfg.digits) + completion(37, 48, cfg.digits, f) for f in run.models},
    }

    def evaluate():
        acc = {f: exact_match(m, task, task.heldout, f) for f, m in run.models.items()}
        return [
            {"type": "eval", "step": run.step, "accuracy": acc},
            {"type": "samples", "step": run.step, "rows": worked_examples(run)},
        ]

    if run.step == 0:
        yield from evaluate()
    began, busy, first = time.perf_counter(), 0.0, run.step
    diverged, message = False, ""
    while run.step < cfg.steps:
        pairs, cuts = run.next_batch()
        lr = run.schedule(run.step)
        losses = {}
        t0 = time.perf_counter()
        for fmt, model in run.models.items():
            x, y = task.batch(pairs, fmt, cuts if fmt == "scratchpad" else None)
            with np.errstate(all="ignore"):
                losses[fmt] = model.loss_and_grad(x, y)
            if not math.isfinite(losses[fmt]):
                diverged = True
                message = (
                    f"the {fmt} model's loss became {losses[fmt]} at step {run.step + 1}: training diverged. "
                    "Lower the learning rate and start again."
                )
                break
            run.optimizers[fmt].step([model.params.flat_grad], lr)
        if diverged:
            break
        busy += time.perf_counter() - t0
        run.step += 1
        yield {"type": "step", "step": run.step, "loss": losses, "lr": lr}
        if run.step % cfg.eval_interval == 0 or run.step == cfg.steps:
            yield from evaluate()
    yield {
        "type": "done",
        "step": run.step,
        "steps": cfg.steps,
        "accuracy": {f: exact_match(m, task, task.heldout, f) for f, m in run.models.items()},
        "answer_accuracy": {f: answer_accuracy(m, task, task.heldout, f) for f, m in run.models.items()},
        "elapsed_s": time.perf_counter() - began,
        "steps_per_s": (run.step - first) / busy if busy else None,
        "diverged": diverged,
        "message": message,
    }
