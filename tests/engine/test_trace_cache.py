"""TraceCache: one computation per token sequence, even for concurrent callers; bounded size."""

import threading
import time

import pytest

from glasslm.engine.trace_cache import TraceCache


class Counting:
    """A stand-in model whose trace is slow and counts its calls."""

    def __init__(self):
        self.calls = []

    def trace(self, ids, **options):
        self.calls.append((tuple(ids), options))
        time.sleep(0.05)  # long enough that concurrent callers overlap
        if ids == [666]:
            raise ValueError("bad ids")
        return ("trace", tuple(ids))


def test_concurrent_callers_share_one_computation():
    model = Counting()
    cache = TraceCache(lambda: model, size=2, attention=True)
    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.get([1, 2, 3]))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [("trace", (1, 2, 3))] * 8
    assert model.calls == [((1, 2, 3), {"attention": True})]


def test_least_recently_used_is_dropped_and_errors_are_not_kept():
    model = Counting()
    cache = TraceCache(lambda: model, size=2)
    cache.get([1])
    cache.get([2])
    cache.get([1])  # 1 is now the most recent
    cache.get([3])  # drops 2
    cache.get([1])
    assert [c[0] for c in model.calls] == [(1,), (2,), (3,)]
    cache.get([2])
    assert [c[0] for c in model.calls][-1] == (2,)
    with pytest.raises(ValueError, match="bad ids"):
        cache.get([666])
    with pytest.raises(ValueError, match="bad ids"):
        cache.get([666])  # tried again, not cached
    with pytest.raises(ValueError, match="size"):
        TraceCache(lambda: model, size=0)
