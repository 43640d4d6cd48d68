"""The server's memory of recent work: one thread-safe, single-flight LRU, one set per app.

Demos ask about the same thing again and again: another layer of the same
text, a slider moved on the same prompt, a page whose three demos ask at the
same moment. `LRUCache.get(key, compute)` runs `compute()` once per key even
when several threads ask at once (the later ones wait for the first, then
read its answer), keeps the `size` most recently used answers, and says
whether the answer was already there (demos show "cached").

The engine keeps no state between requests: its functions are what
`compute` calls. The caches belong to the app (`app.state.caches`), made on
first use by `app_cache(request, name, size)`, so two apps in one process (two
tests, say) never see each other's entries.

What it adds over functools.lru_cache: no duplicate work for concurrent
callers of one key, a `pop` for an entry that is about to be changed in place
(the generation chapter extends a KV cache), and a per-app home.
Left out: a memory budget (entries are bounded by the chapters' own limits).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable

from fastapi import FastAPI, Request


class LRUCache:
    def __init__(self, size: int):
        if size < 1:
            raise ValueError(f"a cache needs room for at least one entry, got size={size}")
        self.size = size
        self._done: OrderedDict[Hashable, Any] = OrderedDict()  # key -> value, least recently used first
        self._running: dict[Hashable, threading.Lock] = {}  # key -> lock held while its first caller computes
        self._guard = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> tuple[Any, bool]:
        """(the value for key, whether it was already cached); compute() runs on a miss, once."""
        with self._guard:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key], True
            lock = self._running.setdefault(key, threading.Lock())
        with lock:  # the first caller computes; the others wait here, then find it done
            with self._guard:
                if key in self._done:
                    self._done.move_to_end(key)
                    return self._done[key], True
            try:
                value = compute()
                self.put(key, value)
            finally:
                with self._guard:
                    self._running.pop(key, None)
        return value, False

    def peek(self, key: Hashable, default: Any = None) -> Any:
        """The value for key if it is cached (now most recently used), else default; computes nothing."""
        with self._guard:
            if key not in self._done:
                return default
            self._done.move_to_end(key)
            return self._done[key]

    def put(self, key: Hashable, value: Any) -> None:
        with self._guard:
            self._done[key] = value
            self._done.move_to_end(key)
            while len(self._done) > self.size:
                self._done.popitem(last=False)

    def pop(self, key: Hashable, default: Any = None) -> Any:
        """Take an entry out (nobody else will be handed it while the caller changes it)."""
        with self._guard:
            return self._done.pop(key, default)

    def __contains__(self, key: Hashable) -> bool:
        with self._guard:
            return key in self._done

    def __len__(self) -> int:
        with self._guard:
            return len(self._done)


def app_cache(where: Request | FastAPI, name: str, size: int) -> LRUCache:
    """The app's cache called name (made with room for size entries on first use)."""
    app = where.app if isinstance(where, Request) else where
    state = app.state
    with state.caches_lock:
        cache = state.caches.get(name)
        if cache is None:
            cache = state.caches[name] = LRUCache(size)
        return cache
