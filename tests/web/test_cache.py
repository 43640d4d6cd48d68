"""The app's caches and shared models: one computation per key even for concurrent callers, least
recently used dropped first, errors never kept, and two apps in one process sharing nothing."""

import threading
import time

import pytest
from fastapi.testclient import TestClient

from glasslm.web.app import create_app
from glasslm.web.cache import LRUCache, app_cache
from glasslm.web.shared_models import SharedModel
from tests.api.local import LOCAL


def slow(calls, value):
    """A compute function that takes long enough for concurrent callers to overlap, and counts its calls."""

    def compute():
        calls.append(value)
        time.sleep(0.05)
        if value == "bad":
            raise ValueError("bad input")
        return ("result", value)

    return compute


def test_concurrent_callers_share_one_computation():
    cache, calls, results = LRUCache(2), [], []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get((1, 2, 3), slow(calls, "a")))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["a"]
    assert sorted(hit for _, hit in results) == [False] + [True] * 7
    assert all(value == ("result", "a") for value, _ in results)


def test_least_recently_used_is_dropped_and_errors_are_not_kept():
    cache, calls = LRUCache(2), []
    for key in [1, 2, 1, 3, 1]:  # 1 is used again before 3 arrives, so 3 drops 2
        cache.get(key, slow(calls, key))
    assert calls == [1, 2, 3] and 2 not in cache and len(cache) == 2
    assert cache.get(2, slow(calls, 2)) == (("result", 2), False)
    for _ in range(2):
        with pytest.raises(ValueError, match="bad input"):
            cache.get("x", slow(calls, "bad"))
    assert calls[-2:] == ["bad", "bad"]  # tried again, not cached
    assert cache.pop(2) == ("result", 2) and 2 not in cache and cache.pop(2) is None
    with pytest.raises(ValueError, match="at least one"):
        LRUCache(0)


def test_peek_reads_without_computing_and_counts_as_a_use():
    cache, calls = LRUCache(2), []
    assert cache.peek("absent") is None and cache.peek("absent", 0) == 0 and "absent" not in cache
    cache.put(1, "one")
    cache.put(2, "two")
    assert cache.peek(1) == "one"  # 1 is now the most recently used, so 3 drops 2
    cache.get(3, slow(calls, 3))
    assert 1 in cache and 2 not in cache and calls == [3]


def test_two_apps_in_one_process_share_no_state():
    a, b = create_app(), create_app()
    assert app_cache(a, "x", 2) is app_cache(a, "x", 2)
    assert app_cache(a, "x", 2) is not app_cache(b, "x", 2)
    body = {"text": "abc abd abe abc abd " * 20, "vocab_size": 260}
    with TestClient(a, base_url=LOCAL) as ca, TestClient(b, base_url=LOCAL) as cb:
        assert ca.post("/api/tokens/train", json=body).status_code == 200
        assert len(a.state.caches["tokens-bpe"]) == 1 and "tokens-bpe" not in b.state.caches
        assert cb.post("/api/tokens/train", json=body).status_code == 200
        assert a.state.caches["tokens-bpe"] is not b.state.caches["tokens-bpe"]
        shared = SharedModel(lambda: iter([]), 0, "nothing")
        a.state.shared_models["default tiny GPT"] = shared  # lent to one app only
        assert "default tiny GPT" not in b.state.shared_models
    assert a.state.jobs is not b.state.jobs


def test_a_shared_model_reads_the_training_events_and_reports_errors():
    model = object()
    events = [
        {"type": "start", "bigram_heldout_loss": 2.5},
        {"type": "step", "step": 1},
        {"type": "step", "step": 2},
        {"type": "done", "heldout_loss": 2.1, "elapsed_s": 0.1},
        {"type": "model", "model": model},
    ]
    shared = SharedModel(lambda: iter(events), 2, "test model")
    assert not shared.training and shared.progress()["ready"] is False
    assert shared.wait(10) is model and not shared.training
    assert shared.progress() == {
        "step": 2,
        "steps": 2,
        "ready": True,
        "heldout_loss": 2.1,
        "bigram_heldout_loss": 2.5,
        "seconds": 0.1,
        "error": None,
    }

    def broken():
        yield {"type": "step", "step": 1}
        raise RuntimeError("diverged")

    failed = SharedModel(broken, 2, "test model")
    assert failed.wait(10) is None and failed.error == "training the test model failed: diverged"


# Process-wide on purpose: a read of the model file's metadata, and two locks that keep speed measurements from
# running at once (two apps in one process still share one CPU).
PROCESS_WIDE = {"embeddings.smollm2_rope", "pretraining_data.FLOP_RATE_LOCK", "train_a_gpt.SPEED_LOCK"}


def test_no_router_keeps_state_at_module_level():
    import importlib
    from collections import OrderedDict

    from glasslm.chapters.registry import Registry

    found = []
    for chapter in Registry().chapters:
        if not (chapter.folder / "api.py").exists():
            continue
        module = importlib.import_module(f"glasslm.chapters.{chapter.package}.api")
        for name, value in vars(module).items():
            stateful = isinstance(value, (LRUCache, SharedModel, OrderedDict, type(threading.Lock()))) or hasattr(
                value, "cache_info"
            )  # a functools.lru_cache
            if stateful and getattr(value, "__module__", module.__name__) in (module.__name__, None, "_thread"):
                found.append(f"{chapter.package}.{name}")
    assert set(found) == PROCESS_WIDE
