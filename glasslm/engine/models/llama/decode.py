"""SmolLM2's one generation loop: prefill, then pick a token and feed it back, one at a time.

    prefill   the prompt's tokens -> KV cache and the logits after the last one
              (through the prefix cache: only tokens not seen before are run)
    repeat    token = pick(logits, index); yield it; logits = forward(token) over the cache
              (batched with other requests' steps by batching.Scheduler)

Everything that generates with SmolLM2 runs this loop (smollm2.generate,
autoregression's continuations, fact_qa's greedy answers, serving_trace's timed
reply); what differs is passed in:

- `pick(logits (V,), index) -> (token, probs)`: how the next token is chosen
  (`sampler` draws from sampling.sample's filtered distribution, `greedy` takes
  the argmax; probs is whatever the caller wants to see, or None);
- `on_prefill(info)`: called once with the prefill's tokens, reused tokens,
  seconds and KV bytes, for the serving trace;
- each `Step` carries the timings a serving trace shows (the forward pass that
  made this token's logits, and the pick).

The loop is lazy: the pass for token i+1 runs only when the caller asks for
it, so a caller that stops (a stop token, a closed tab) never pays for it.
Stopping is the caller's: it breaks out of the loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from glasslm.engine.basics import sampling

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

Pick = Callable[[np.ndarray, int], tuple[int, "np.ndarray | None"]]


@dataclass(frozen=True)
class Step:
    index: int  # 0 for the first generated token
    token: int
    logits: np.ndarray  # (V,) the row the token was picked from
    probs: np.ndarray | None  # what pick returned beside the token
    forward_s: float | None  # the pass that made `logits` (None for the first token: the prefill did)
    pick_s: float


def sampler(settings: sampling.SamplingConfig = sampling.PLAIN, seed: int | None = None) -> Pick:
    """pick for sampling.sample with these settings and one generator seeded once."""
    rng = np.random.default_rng(seed)
    s = settings
    return lambda logits, index: sampling.sample(logits, rng, s.temperature, s.top_k, s.top_p, s.min_p)


def greedy(logits: np.ndarray, index: int) -> tuple[int, None]:
    """pick the likeliest token."""
    return int(np.argmax(logits)), None


def decode(
    m: SmolLM2, ids, max_tokens: int, pick: Pick, on_prefill: Callable[[dict], None] | None = None
) -> Iterator[Step]:
    """Up to max_tokens steps after `ids` (checked by the caller), each picked by `pick`.

    The request holds a slot of the scheduler (batching.py) from its first step until
    it ends or the caller closes the generator; may raise batching.QueueFull.
    """
    with m.scheduler.admit(len(ids) + max_tokens):
        t0 = time.perf_counter()
        cache, logits, reused = m.prefill(ids, room=max_tokens)
        if on_prefill is not None:
            on_prefill(
                {
                    "tokens": len(ids),
                    "reused": reused,
                    "seconds": time.perf_counter() - t0,
                    "cache_bytes": int(cache.kt.nbytes + cache.v.nbytes) * cache.length // cache.capacity,
                }
            )
        forward_s = None
        for index in range(max_tokens):
            t0 = time.perf_counter()
            token, probs = pick(logits, index)
            pick_s = time.perf_counter() - t0
            yield Step(index=index, token=int(token), logits=logits, probs=probs, forward_s=forward_s, pick_s=pick_s)
            if index + 1 < max_tokens:
                t0 = time.perf_counter()
                logits = m.step(int(token), cache)  # (V,) one pass over the cache, shared with other requests
                forward_s = time.perf_counter() - t0
