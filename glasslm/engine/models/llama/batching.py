"""Continuous batching: every generating request's next decode step shares one forward pass.

Decoding one token reads every weight of the model once (about 540 MB for
SmolLM2 in float32) to do little arithmetic with it: it is bound by memory
bandwidth, not by the processor. Reading the weights once for B sequences'
tokens (Llama.forward_batch) costs little more than for one, so B requests
decoding together get nearly B times the tokens per second in total.

`Scheduler` does it at the level of single steps (iteration-level scheduling,
as in Orca, Yu et al. 2022, and vLLM, Kwon et al. 2023): a request joins the
running batch at the next step and leaves as soon as it is done, instead of
waiting for a whole batch to finish. Each request is a generator in its own
thread (decode.py's loop); when it needs the logits after its newest token it
calls `step(token, cache)`, which blocks. One background thread gathers the
waiting steps, runs them as one batched pass, and hands each its row:

    request threads:  admit ... step(t1) ........ step(t2) ........ release
    scheduler:                 [pass: all waiting rows] [pass: ...]

The scheduler starts a pass when every admitted request is waiting, or a short
while after the first one began to wait (GATHER_S, or GATHER_FRACTION of the
last pass if longer, up to MAX_GATHER_S: a request busy sampling or sending
its token is back within that, and a pass without it would be a fragment of
a batch; one whose client stops reading just joins a later pass).

A joining request's prompt goes through the same passes (`prefill`): its
tokens, in chunks of PREFILL_CHUNK, are rows of the next pass beside the
running requests' decode rows (Llama.forward_batch), so eight requests arriving
at once are prefilled by one pass instead of eight, and the running ones lose
one pass's time, not a queue of prefills (the "piggybacking" of chunked
prefill, Agrawal et al. 2024). A pass takes waiting items oldest first, up to
MAX_PASS_TOKENS rows (the oldest always runs, so a long prompt cannot starve).
Every prefill in the process goes through it, scoring and logits too.

Limits (named, checked): at most MAX_BATCH requests decode at once and at most
MAX_KV_TOKENS tokens of KV cache are reserved by them (each reserves its
prompt + max tokens when admitted); others wait in a queue of at most
MAX_QUEUED, past which `admit` raises QueueFull. A request's slot and
reservation are released when it ends, or when its generator is closed (a
client that disconnects), so its cache can be freed.

The scheduler is a per-process singleton, started lazily by the first request
(SmolLM2.scheduler): the model it batches is itself one per process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np

from glasslm.engine.models.llama.kv_cache import KVCache
from glasslm.engine.models.llama.llama import Llama

MAX_BATCH = 16  # rows in one decode pass (the serving chapter fires up to 16 requests at once)
MAX_QUEUED = 64  # requests waiting for a slot; past it, QueueFull (a 429 on the web)
MAX_KV_TOKENS = 16 * 2048  # tokens of KV cache reserved by the running requests: 1.4 GB of float32 at most
GATHER_S = 0.003  # how long a pass waits for admitted requests that are not waiting yet ...
GATHER_FRACTION = 0.2  # ... or this fraction of the last pass's time, if longer ...
MAX_GATHER_S = 0.05  # ... but never longer than this (after a long prefill pass)
PREFILL_CHUNK = 256  # prompt tokens per item: attention's (S, T) scores stay small for long prompts
MAX_PASS_TOKENS = 1024  # rows in one pass (decode steps are one row each, prompt chunks many)


T = TypeVar("T")
R = TypeVar("R")


def as_batch(fn: Callable[[T], R], items: Iterable[T], width: int = 8) -> Iterator[R]:
    """fn(item) for every item, in order, with up to `width` of them running at once in
    threads, so that their decode steps meet in the scheduler and share passes (the many-
    question demos). Closing the iterator early cancels the items not yet started."""
    pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="as-batch")
    try:
        for future in [pool.submit(fn, item) for item in items]:
            yield future.result()
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


class QueueFull(RuntimeError):
    """Too many requests are waiting for the model already."""


@dataclass
class _Waiting:
    tokens: np.ndarray  # (T,) new tokens of one sequence: 1 for a decode step, a prompt chunk's
    cache: KVCache
    want_logits: bool = True
    done: threading.Event = field(default_factory=threading.Event)
    logits: np.ndarray | None = None
    error: BaseException | None = None


class Scheduler:
    """Runs waiting decode steps of all admitted requests as batched passes of `model`."""

    def __init__(
        self,
        model: Llama,
        max_batch: int = MAX_BATCH,
        max_queued: int = MAX_QUEUED,
        max_kv_tokens: int = MAX_KV_TOKENS,
        gather_s: float = GATHER_S,
    ):
        self.model = model
        self.max_batch, self.max_queued, self.max_kv_tokens, self.gather_s = (
            max_batch,
            max_queued,
            max_kv_tokens,
            gather_s,
        )
        self._cond = threading.Condition()
        self._admitted = 0  # requests holding a slot
        self._queued = 0  # requests waiting for one
        self._reserved = 0  # KV tokens reserved by admitted requests
        self._waiting: list[_Waiting] = []
        self._thread: threading.Thread | None = None
        self.passes = 0  # statistics, for the serving page and the benchmark
        self.rows = 0
        self.batch_sizes: list[int] = []  # recent passes' sizes (the last 1,000)

    # ------------------------------------------------------------ requests
    @contextmanager
    def admit(self, kv_tokens: int):
        """Hold a slot for one request reserving kv_tokens of cache; wait for one if needed."""
        if kv_tokens > self.max_kv_tokens:
            raise ValueError(f"a request of {kv_tokens} tokens exceeds the KV-cache limit of {self.max_kv_tokens}")
        with self._cond:
            if self._must_wait(kv_tokens):
                if self._queued >= self.max_queued:
                    raise QueueFull(
                        f"{self._queued} requests are already waiting for the model: try again in a moment."
                    )
                self._queued += 1
                try:
                    self._cond.wait_for(lambda: not self._must_wait(kv_tokens))
                finally:
                    self._queued -= 1
            self._admitted += 1
            self._reserved += kv_tokens
        try:
            yield self
        finally:
            with self._cond:
                self._admitted -= 1
                self._reserved -= kv_tokens
                self._cond.notify_all()

    def _must_wait(self, kv_tokens: int) -> bool:
        return self._admitted >= self.max_batch or self._reserved + kv_tokens > self.max_kv_tokens

    def step(self, token: int, cache: KVCache) -> np.ndarray:
        """Logits (V,) after `token`, appended to `cache`, computed in the next batched pass."""
        return self._run(np.array([int(token)]), cache, True)

    def prefill(self, ids, cache: KVCache, logits: bool = True) -> np.ndarray | None:
        """Run a prompt's tokens over `cache` (appending them) in chunks that share passes with
        the running requests; the logits (V,) after the last token, or None with logits=False."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        last = None
        for start in range(0, len(ids), PREFILL_CHUNK):
            end = min(start + PREFILL_CHUNK, len(ids))
            last = self._run(ids[start:end], cache, logits and end == len(ids))
        return last

    def _run(self, tokens: np.ndarray, cache: KVCache, want_logits: bool) -> np.ndarray | None:
        self._start()
        item = _Waiting(tokens, cache, want_logits)
        with self._cond:
            self._waiting.append(item)
            self._cond.notify_all()
        item.done.wait()
        if item.error is not None:
            raise item.error
        return item.logits

    def stats(self) -> dict:
        with self._cond:
            return {
                "admitted": self._admitted,
                "queued": self._queued,
                "reserved_kv_tokens": self._reserved,
                "passes": self.passes,
                "rows": self.rows,
                "max_batch": self.max_batch,
                "max_queued": self.max_queued,
                "max_kv_tokens": self.max_kv_tokens,
            }

    # ------------------------------------------------------------ the loop
    def _start(self) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="smollm2-scheduler", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        last_pass_s = 0.0
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._waiting)
                deadline = time.perf_counter() + max(self.gather_s, min(GATHER_FRACTION * last_pass_s, MAX_GATHER_S))
                while len(self._waiting) < min(self._admitted, self.max_batch):
                    left = deadline - time.perf_counter()
                    if left <= 0 or not self._cond.wait(left):
                        break
                batch, rows = [], 0
                for w in self._waiting:  # oldest first; the oldest always runs
                    if not batch or rows + len(w.tokens) <= MAX_PASS_TOKENS:
                        batch.append(w)
                        rows += len(w.tokens)
                taken = {id(w) for w in batch}
                self._waiting = [w for w in self._waiting if id(w) not in taken]
            t0 = time.perf_counter()
            for w in batch:  # a request that cannot run fails alone, not the whole pass
                try:
                    w.cache.check_room(len(w.tokens))
                except ValueError as err:
                    w.error = err
            run = [w for w in batch if w.error is None]
            try:
                if run:
                    logits = self.model.forward_batch([w.tokens for w in run], [w.cache for w in run])  # (B, V)
                    for w, row in zip(run, logits):
                        w.logits = row if w.want_logits else None
            except BaseException as err:  # noqa: BLE001 handed to the requests, which raise it
                for w in run:
                    w.error = err
            last_pass_s = time.perf_counter() - t0
            self.passes += 1
            self.rows += len(batch)
            self.batch_sizes = self.batch_sizes[-999:] + [len(batch)]
            for w in batch:
                w.done.set()
