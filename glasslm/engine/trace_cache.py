"""Recent traced forward passes, kept so that moving a slider does not run the model again.

A chapter's demos often ask about the same text several times (another layer,
another head, another query token), and a page's demos ask at the same moment.
`TraceCache.get(ids)` runs `model.trace(ids, **options)` once per distinct
token sequence, even when several threads ask for it at once (the later ones
wait for the first), and keeps the `size` most recently used results.

What it adds over functools.lru_cache: no duplicate work for concurrent
callers of the same key. Left out: a memory budget (traces are bounded by the
chapters' token limits instead).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable


class TraceCache:
    def __init__(self, model: Callable[[], object], size: int = 6, **options):
        """model: a function returning the (lazily loaded) model; options: passed to model().trace."""
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._model, self.size, self.options = model, size, options
        self._done: OrderedDict = OrderedDict()  # ids -> trace, least recently used first
        self._running: dict = {}  # ids -> lock held while the first caller computes
        self._guard = threading.Lock()

    def get(self, ids):
        key = tuple(int(i) for i in ids)
        with self._guard:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            lock = self._running.setdefault(key, threading.Lock())
        with lock:  # the first caller computes; the others wait here, then find it done
            with self._guard:
                if key in self._done:
                    return self._done[key]
            try:
                trace = self._model().trace(list(key), **self.options)
                with self._guard:
                    self._done[key] = trace
                    while len(self._done) > self.size:
                        self._done.popitem(last=False)
            finally:
                with self._guard:
                    self._running.pop(key, None)
        return trace
