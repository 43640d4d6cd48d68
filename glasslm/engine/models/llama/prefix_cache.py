"""A prefix cache: keys and values of recent texts, so a request pays only for its new tokens.

A token's keys and values depend only on the tokens before it (attention is
causal), so two requests whose token ids start the same way compute the same
K and V for that shared start. Real serving stacks keep them: vLLM's automatic
prefix caching, SGLang's RadixAttention (Zheng et al. 2024). Here, every
SmolLM2 request (smollm2.py) first asks

    match(ids) -> (entry, n)      the kept sequence sharing the longest start with ids

copies that entry's first n tokens into its own KV cache, runs the model over
ids[n:] only, and `insert`s its ids back. Typing at the end of a long text
then costs the few new tokens; an unchanged text costs nothing; an edit in the
middle recomputes from the edit on.

Entries are whole sequences searched one by one for the longest shared start:
an equivalent of a radix tree for the tens of entries a laptop's budget holds
(a scan of a few thousand ids is microseconds). A new sequence that extends a
kept one replaces it, and one that a kept sequence already starts with adds
nothing, so the usual growth of a typed text keeps one entry. Entries are
never written after insertion: requests copy out of them, so any number of
threads can share one entry while a lock guards only the table. Past the
memory budget the least recently used entries go first.

Besides K and V, an entry keeps each token's last-block output (KVCache.x),
so the logits of reused positions are one unembedding away, and optionally the
per-token scores of its text (smollm2.TokenScores), which the probability
demos reuse row by row.

Left out: sharing memory between entries that branch off one prefix (a real
radix tree or vLLM's paged blocks do), and moving cold entries to disk.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from glasslm.engine.models.llama.kv_cache import KVCache

# Default budget: about 2,700 SmolLM2 tokens (47 KB each with their hidden row), a class's recent
# texts; a server shared by 30 learners then stays within 200 MB of its start (benchmarks/load.py).
PREFIX_CACHE_MB = 128


@dataclass(frozen=True)
class Entry:
    ids: np.ndarray  # (n,) int64, read-only: the tokens this entry holds
    kv: KVCache  # exactly n tokens of keys, values and last-block outputs, never written again
    scores: object | None = None  # per-token scores of ids, if a request computed them

    @property
    def nbytes(self) -> int:
        return self.kv.nbytes


def shared_length(a: np.ndarray, b: np.ndarray) -> int:
    """How many leading tokens a and b have in common."""
    k = min(len(a), len(b))
    differ = np.flatnonzero(a[:k] != b[:k])
    return int(differ[0]) if differ.size else k


class PrefixCache:
    """Kept sequences, least recently used first, under `budget_mb` megabytes."""

    def __init__(self, budget_mb: float = PREFIX_CACHE_MB):
        if budget_mb < 0:
            raise ValueError(f"the prefix cache's budget must be >= 0 MB, got {budget_mb}")
        self.budget_bytes = int(budget_mb * 2**20)
        self._entries: OrderedDict[int, Entry] = OrderedDict()  # key: id(entry), oldest use first
        self._lock = threading.Lock()
        self.hits = self.misses = 0
        self.reused_tokens = self.computed_tokens = 0

    def match(self, ids, scored: bool = False) -> tuple[Entry | None, int]:
        """The entry sharing the most leading tokens with ids, and how many (0 and None if none);
        with `scored`, only entries that keep their scores count."""
        ids = np.asarray(ids, dtype=np.int64)
        with self._lock:
            best, n = None, 0
            for entry in self._entries.values():
                if scored and entry.scores is None:
                    continue
                k = shared_length(entry.ids, ids)
                if k > n:
                    best, n = entry, k
            if best is not None:
                self._entries.move_to_end(id(best))
            return best, n

    def insert(self, ids, kv: KVCache, scores=None) -> None:
        """Keep a snapshot of kv's first len(ids) tokens (kv itself may go on changing)."""
        ids = np.array(ids, dtype=np.int64)
        n = len(ids)
        if n == 0 or kv.length < n:
            return
        with self._lock:
            for key, entry in list(self._entries.items()):
                k = shared_length(entry.ids, ids)
                if k == n and (scores is None or entry.scores is not None):
                    self._entries.move_to_end(key)  # already held, as well or better
                    return
                if k == len(entry.ids):
                    del self._entries[key]  # a start of the new sequence: superseded
        snapshot = kv.copy_prefix(n, n)  # outside the lock: a copy of up to tens of MB
        ids.setflags(write=False)
        entry = Entry(ids=ids, kv=snapshot, scores=scores)
        if entry.nbytes > self.budget_bytes:
            return
        with self._lock:
            self._entries[id(entry)] = entry
            while self.nbytes > self.budget_bytes:
                self._entries.popitem(last=False)

    def record(self, reused: int, computed: int) -> None:
        """Count one request's reused and computed tokens (for the page and the benchmark)."""
        with self._lock:
            self.hits += reused > 0
            self.misses += reused == 0
            self.reused_tokens += reused
            self.computed_tokens += computed

    @property
    def nbytes(self) -> int:
        return sum(e.nbytes for e in self._entries.values())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def stats(self) -> dict:
        with self._lock:
            return {
                "entries": len(self._entries),
                "tokens": sum(len(e.ids) for e in self._entries.values()),
                "mb": self.nbytes / 2**20,
                "budget_mb": self.budget_bytes / 2**20,
                "hits": self.hits,
                "misses": self.misses,
                "reused_tokens": self.reused_tokens,
                "computed_tokens": self.computed_tokens,
            }
