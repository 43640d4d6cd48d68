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
  cache, and the runs generate at once so their steps share batched passes.
  Each equals SmolLM2.generate with the same seed;

Left out: beam search.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.models.llama import decode
from glasslm.engine.models.tiny.gpt import TinyGPT

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

    pass


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


def choose(
    logits: np.ndarray,
    position: int,
    seed: int = 0,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    min_p: float = 0.0,
    end_ids=(),
) -> Choice:
    """Pick the next token from logits (V,); temperature 0 is greedy (the argmax)."""
    token, probs = sampling.sample(
        np.asarray(logits).reshape(-1), step_rng(seed, position), temperature, top_k, top_p, min_p
    )
    return Choice(probs=probs, token=token, prob=float(probs[token]), end=token in set(end_ids))


def tiny_gpt_next_logits(model: TinyGPT, ids) -> np.ndarray:
    """Logits (V,) float64 for the character after ids, seeing at most block_size of them."""
    ids = [int(i) for i in ids]
    if not ids:
        raise ValueError("the context is empty: start from BOS")
    V = model.config.vocab_size
    if any(not 0 <= i < V for i in ids):
        raise ValueError(f"character ids must be in 0..{V - 1}")
    window = np.array([ids[-model.config.block_size :]])  # (1, T)
    logits, _ = model.forward(window)  # (T, V)
    return logits.data[-1].astype(np.float64)  # (V,)


def continuation_steps(
    m: SmolLM2,
    ids,
    max_tokens: int,
    seeds,
    stop_ids=None,
    settings: sampling.SamplingConfig = sampling.PLAIN,
):
    """Yield (run, token id) as each token of each continuation is chosen, and (run, None) when
    a continuation is over. One run per seed (None = greedy, temperature 0); the prompt is
    read once and every run starts from its KV cache.

    settings apply to every seed that is not None. A continuation stops before a stop token.

    The runs generate at the same time, so their decode steps share the scheduler's
    passes (batching.py): N runs cost about what one does. Run 0 streams as it goes;
    each later run, already generated meanwhile, follows in order. Closing the
    generator stops them all at their next token.
    """
    ids = m.check_ids(ids)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) or max_tokens < 1:
        raise ValueError(f"max_tokens must be a whole number >= 1, got {max_tokens!r}")
    stop = m.stop_ids if stop_ids is None else frozenset(stop_ids)
    halt = threading.Event()

    def tokens(seed):
        pick = decode.greedy if seed is None else decode.sampler(settings, seed)
        for step in decode.decode(m, ids, max_tokens, pick):  # the prompt: from the prefix cache
            if step.token in stop or halt.is_set():
                return
            yield step.token

    seeds = list(seeds)
    if len(seeds) > 1:
        m.prefill(ids, logits=False)  # read once into the prefix cache, before the runs start at once
    pool = ThreadPoolExecutor(max_workers=max(1, len(seeds) - 1), thread_name_prefix="continuation")
    try:
        later = [pool.submit(lambda seed: list(tokens(seed)), seed) for seed in seeds[1:]]
        for token in tokens(seeds[0]) if seeds else ():
            yield 0, token
        if seeds:
            yield 0, None
        for run, future in enumerate(later, start=1):
            for token in future.result():
                yield run, token
            yield run, None
    finally:
        halt.set()
        pool.shutdown(wait=False, cancel_futures=True)


def continuations(m: SmolLM2, ids, max_tokens: int, seeds, **options) -> list[list[int]]:
    """Token ids continuing `ids`, one list per seed: continuation_steps (the same stop_ids and settings) collected."""
    out: list[list[int]] = [[] for _ in seeds]
    for run, token in continuation_steps(m, ids, max_tokens, seeds, **options):
        if token is not None:
            out[run].append(token)
    return out
