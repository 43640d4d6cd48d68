"""Generation one step at a time: context -> model -> distribution -> token -> repeat.

SmolLM2.generate and gpt.sample run the whole loop at once. The generation
chapter wants each turn of the loop on its own, so that a learner can press
"Step" and see the distribution the next token came from. This file adds:

- `choose`: one turn of the loop on a row of logits: the filtered
  distribution (sampling.filter_distribution), the token drawn from it with a
  generator seeded by (seed, position) so a step gives the same token whether
  it is taken alone or inside a run, and whether it is an end token;
- `tiny_gpt_next_logits`: the tiny GPT's logits for the character after a
  context (cropped to its last block_size characters, as gpt.sample does);
- `continuation_steps` / `continuations`: several continuations of one prompt
  (greedy and seeded samples), streamed token by token, through SmolLM2's one
  decode loop (decode.py); the prompt is read once, then comes from the prefix
  cache. Each equals SmolLM2.generate with the same seed;
- `SharedTinyGPT`: the default tiny GPT (gpt.py's microgpt-sized config,
  train.py's default recipe on the first names), trained once per process in a
  background thread, with its progress readable while it trains.

Left out: beam search; batching several learners' steps together.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.models.llama import decode
from glasslm.engine.models.tiny.gpt import TinyGPT


@dataclass(frozen=True)
class Choice:
    """One step of generation."""

    probs: np.ndarray  # (V,) float64: the distribution the token was drawn from
    token: int  # the chosen token id
    prob: float  # its probability under probs
    end: bool  # True if the token is an end token: generation stops here


def step_rng(seed: int, position: int) -> np.random.Generator:
    """The random numbers for the token at `position` (0-based, counted in the context)."""
    return np.random.default_rng([int(seed), int(position)])


def choose(logits: np.ndarray, position: int, seed: int = 0, temperature: float = 1.0, top_k: int = 0,
           top_p: float = 1.0, min_p: float = 0.0, end_ids=()) -> Choice:
    """Pick the next token from logits (V,); temperature 0 is greedy (the argmax)."""
    token, probs = sampling.sample(np.asarray(logits).reshape(-1), step_rng(seed, position),
                                   temperature, top_k, top_p, min_p)
    return Choice(probs=probs, token=token, prob=float(probs[token]), end=token in set(end_ids))


def tiny_gpt_next_logits(model: TinyGPT, ids) -> np.ndarray:
    """Logits (V,) float64 for the character after ids, seeing at most block_size of them."""
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("the context is empty: start from BOS")
    V = model.config.vocab_size
    if any(not 0 <= i < V for i in ids):
        raise ValueError(f"character ids must be in 0..{V - 1}")
    window = np.array([ids[-model.config.block_size:]])  # (1, T)
    logits, _ = model.forward(window)  # (T, V)
    return logits.data[-1].astype(np.float64)  # (V,)


def continuation_steps(m, ids, max_tokens: int, seeds, stop_ids=None, **settings):
    """Yield (run, token id) as each token of each continuation is chosen, and (run, None) when
    a continuation is over. One run per seed (None = greedy, temperature 0); the prompt is
    read once and every run starts from its KV cache.

    settings are sampling.sample's (temperature, top_k, top_p, min_p) and apply to
    every seed that is not None. A continuation stops before a stop token.
    """
    ids = m.check_ids(ids)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a whole number >= 1, got {max_tokens!r}")
    stop = m.stop_ids if stop_ids is None else frozenset(stop_ids)
    for run, seed in enumerate(seeds):
        pick = decode.greedy if seed is None else decode.sampler(seed=seed, **settings)
        for step in decode.decode(m, ids, max_tokens, pick):  # the prompt: from the prefix cache after run 0
            if step.token in stop:
                break
            yield run, step.token
        yield run, None


def continuations(m, ids, max_tokens: int, seeds, stop_ids=None, **settings) -> list[list[int]]:
    """Token ids continuing `ids`, one list per seed: continuation_steps collected."""
    out: list[list[int]] = [[] for _ in seeds]
    for run, token in continuation_steps(m, ids, max_tokens, seeds, stop_ids, **settings):
        if token is not None:
            out[run].append(token)
    return out


class SharedTinyGPT:
    """A default tiny GPT trained once, in the background, and shared read-only.

    start() begins training (at most once); progress() says how far it got;
    model is None until training has finished. Training follows train.py's
    defaults (1,000 steps of one name each, Adam, seed 42) with the held-out
    measurements thinned out, since nothing here draws the loss curve.
    """

    def __init__(self, steps: int = 1000):
        self.steps = steps
        self.model: TinyGPT | None = None
        self.step = 0
        self.heldout_loss: float | None = None
        self.bigram_heldout_loss: float | None = None
        self.seconds: float | None = None
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._train, name="shared-tiny-gpt", daemon=True)
                self._thread.start()

    def wait(self, timeout: float | None = None) -> TinyGPT | None:
        """Start training if needed and wait for it (for scripts and tests)."""
        self.start()
        self._thread.join(timeout)
        return self.model

    @property
    def training(self) -> bool:
        return self._thread is not None and self.model is None and self.error is None

    def _train(self) -> None:
        from glasslm.engine.training.train import TrainConfig, TrainRun, train_tiny_gpt

        config = replace(TrainConfig(), steps=self.steps, eval_interval=self.steps, sample_interval=self.steps,
                         attention_interval=self.steps, n_samples=0)
        try:
            run = TrainRun.create(config=config)
            for event in train_tiny_gpt(run=run):  # trains run.model in place
                if event["type"] == "start":
                    self.bigram_heldout_loss = event["bigram_heldout_loss"]
                elif event["type"] == "step":
                    self.step = event["step"]
                elif event["type"] == "done":
                    if event["diverged"]:
                        raise RuntimeError(event["message"])
                    self.heldout_loss, self.seconds = event["heldout_loss"], event["elapsed_s"]
        except Exception as err:  # reported to whoever waits for the model
            self.error = f"training the default tiny GPT failed: {err}"
            return
        self.model = run.model

    def progress(self) -> dict:
        return {"step": self.step, "steps": self.steps, "ready": self.model is not None,
                "heldout_loss": self.heldout_loss, "bigram_heldout_loss": self.bigram_heldout_loss,
                "seconds": self.seconds, "error": self.error}
