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
  (greedy and seeded samples), streamed token by token, that share one prefill: the KV cache is cut back to the prompt
  (KVCache.truncate) before each, so the prompt is read once, not once per
  continuation. Each equals SmolLM2.generate with the same seed;
- `extend_context`: next-token logits for a growing context, from the KV
  cache of the context one token shorter when the caller kept it (a step then
  reads one new token instead of the whole context: the kv-cache chapter's subject), else
  reading the whole context; the logits are the same either way (tested).
  The server keeps those KV caches (glasslm/web/cache.py), not this file.

Left out: beam search; batching several learners' steps together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics import sampling
from glasslm.engine.models.tiny.gpt import TinyGPT

if TYPE_CHECKING:
    from glasslm.engine.models.llama.kv_cache import KVCache
    from glasslm.engine.models.llama.smollm2 import SmolLM2


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
    model = m.model
    cache = model.new_cache(len(ids) + max_tokens)
    first = model.prefill(ids, cache, last_only=True)[-1]  # (V,) read the prompt once
    for run, seed in enumerate(seeds):
        cache.truncate(len(ids))  # forget the previous continuation, keep the prompt
        rng = np.random.default_rng(seed)
        kw = dict(temperature=0.0) if seed is None else settings
        logits = first
        for n in range(max_tokens):
            token, _ = sampling.sample(logits, rng, **kw)
            if token in stop:
                break
            yield run, token
            if n + 1 < max_tokens:
                logits = model.forward([token], cache, last_only=True)[-1]  # (V,)
        yield run, None


def continuations(m, ids, max_tokens: int, seeds, stop_ids=None, **settings) -> list[list[int]]:
    """Token ids continuing `ids`, one list per seed: continuation_steps collected."""
    out: list[list[int]] = [[] for _ in seeds]
    for run, token in continuation_steps(m, ids, max_tokens, seeds, stop_ids, **settings):
        if token is not None:
            out[run].append(token)
    return out


def extend_context(m: SmolLM2, ids: tuple[int, ...], prefix: KVCache | None,
                   room: int) -> tuple[KVCache, np.ndarray, str]:
    """(a KV cache holding ids, the logits (V,) after them, how they were computed).

    With the KV cache of ids[:-1] (`prefix`, filled exactly that far and with
    room for one more), only the new last token is read: "one new token".
    Otherwise the whole context is read into a new cache with `room` places
    for tokens still to come: "whole context". The logits are the same either
    way (tested). The prefix cache is written into: the caller must not share it.
    """
    if prefix is not None and prefix.length == len(ids) - 1 and prefix.capacity > len(ids) - 1:
        return prefix, m.model.forward([ids[-1]], prefix, last_only=True)[-1], "one new token"
    cache = m.model.new_cache(min(len(ids) + room, m.config.context_length))
    return cache, m.model.prefill(list(ids), cache, last_only=True)[-1], "whole context"
