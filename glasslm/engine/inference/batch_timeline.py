"""Continuous batching, measured: N requests fired at once, then the same N one at a time.

`fire(m, n)` is a generator of events for the serving chapter's timeline:

    {"type": "start", "requests": [{"request", "prompt", "max_tokens"}, ...]}
    {"type": "token", "mode": "together" | "alone", "request", "index", "t"}   t: seconds since
        that mode's start; a request's first token marks it joining the batch, its last leaving
    {"type": "mode", "mode", "seconds", "tokens", "tokens_per_s", "per_request": [tok/s, ...],
     "passes", "mean_batch"}    passes: the scheduler's decode passes during the mode

"together" starts one thread per request at once, so their decode steps meet in the
scheduler (models/llama/batching.py) and share passes; "alone" runs the same
requests one after another, each with the model to itself. Both are greedy, so
each request produces the same tokens both ways. Requests ask for different
numbers of tokens (`max_tokens_for`), so they leave the batch at different steps.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from glasslm.engine.basics.sampling import GREEDY

if TYPE_CHECKING:
    from glasslm.engine.models.llama.smollm2 import SmolLM2

MAX_REQUESTS = 16
PROMPTS = [
    "The best way to learn a new language is",
    "Once upon a time, a small robot",
    "The recipe for bread needs",
    "In the year 2050, cities will",
    "My favourite animal is the owl because",
    "The history of the bicycle began",
    "To fix a flat tyre, first",
    "The ocean is deep and",
    "A good night's sleep helps",
    "Dear friend, I am writing to",
    "The rules of chess say that",
    "Volcanoes form when",
    "The train left the station at",
    "Mathematics is useful for",
    "The old castle on the hill",
    "Music makes people feel",
]


def max_tokens_for(request: int, longest: int) -> int:
    """Request i's length: from about half of `longest` up to it, varied so rows leave at different steps."""
    return max(1, longest // 2 + (request * 7) % (longest // 2 + 1))


def _run(m: SmolLM2, ids, max_tokens, i, mode, start, events: queue.Queue, counts, spans) -> None:
    """Request i: every token onto `events` as it comes, then None; its count and span kept."""
    began = time.perf_counter()
    try:
        for e in m.generate(ids, max_tokens=max_tokens, settings=GREEDY, stop_ids=[]):
            counts[i] += 1
            events.put(
                {"type": "token", "mode": mode, "request": i, "index": e.index, "t": time.perf_counter() - start}
            )
    finally:
        spans[i] = time.perf_counter() - began
        events.put(None)


def fire(m: SmolLM2, n: int, longest: int) -> Iterator[dict]:
    if not 1 <= n <= MAX_REQUESTS:
        raise ValueError(f"fire between 1 and {MAX_REQUESTS} requests, got {n}")
    prompts = [m.encode(p) for p in PROMPTS[:n]]
    lengths = [max_tokens_for(i, longest) for i in range(n)]
    yield {
        "type": "start",
        "requests": [{"request": i, "prompt": PROMPTS[i], "max_tokens": lengths[i]} for i in range(n)],
    }
    for mode in ("together", "alone"):
        events: queue.Queue = queue.Queue()
        counts, spans = [0] * n, [0.0] * n
        passes, rows = m.scheduler.passes, m.scheduler.rows
        start = time.perf_counter()

        def run(i, mode=mode, start=start, events=events, counts=counts, spans=spans):
            _run(m, prompts[i], lengths[i], i, mode, start, events, counts, spans)

        if mode == "together":
            threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n)]
            for t in threads:
                t.start()
            finished = 0
            while finished < n:
                e = events.get()
                if e is None:
                    finished += 1
                else:
                    yield e
        else:
            for i in range(n):
                run(i)
                while (e := events.get()) is not None:
                    yield e
        seconds = time.perf_counter() - start
        done_passes = m.scheduler.passes - passes
        yield {
            "type": "mode",
            "mode": mode,
            "seconds": seconds,
            "tokens": sum(counts),
            "tokens_per_s": sum(counts) / seconds,
            "per_request": [c / s for c, s in zip(counts, spans)],
            "passes": done_passes,
            "mean_batch": (m.scheduler.rows - rows) / max(1, done_passes),
        }
