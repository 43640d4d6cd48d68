"""Llama's combined passes: forwards asked for at the same moment run as one pass whose
results equal each forward run alone (logits, and the KV caches they leave behind)."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from glasslm.engine.models.llama.llama import MAX_COMBINED_TOKENS, Trace, _Pass


def _prompts(m):
    return [m.encode(t) for t in ("The capital of France is", "Once upon a time", "2 + 2 =")]


def test_one_combined_pass_equals_each_pass_alone(smollm2):
    model = smollm2.model
    a, b, c = _prompts(smollm2)
    # Alone: a without a cache, b continuing a cache that already holds 3 tokens, c keeping hidden rows.
    want_a = model.forward(a)
    cache_b = model.new_cache(64)
    model.forward(b[:3], cache_b)
    want_b = model.forward(b[3:], cache_b, last_only=True)
    cache_c = model.new_cache(64, hidden=True)
    want_c = model.forward(c, cache_c)

    cache_b2 = model.new_cache(64)
    model.forward(b[:3], cache_b2)
    cache_c2 = model.new_cache(64, hidden=True)
    passes = [
        _Pass(*model._check(a, None), None, None, False, True),
        _Pass(*model._check(b[3:], cache_b2), cache_b2, None, True, True),
        _Pass(*model._check(c, cache_c2), cache_c2, None, False, True),
    ]
    got_a, got_b, got_c = model._forward_many(passes)[0]
    for got, want in ((got_a, want_a), (got_b, want_b), (got_c, want_c)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=2e-3, rtol=1e-4)
    assert cache_b2.length == cache_b.length == len(b) and cache_c2.length == len(c)
    np.testing.assert_allclose(cache_b2.values(29, len(b)), cache_b.values(29, len(b)), atol=1e-4)
    np.testing.assert_allclose(cache_c2.x[: len(c)], cache_c.x[: len(c)], atol=1e-3)


def test_forwards_waiting_together_share_a_pass_and_get_their_own_answers(smollm2, monkeypatch):
    model = smollm2.model
    prompts = _prompts(smollm2)
    alone = [model.forward(p, last_only=True) for p in prompts]
    combined = []
    real = model._forward_many
    monkeypatch.setattr(model, "_forward_many", lambda passes: combined.append(len(passes)) or real(passes))

    got = [None] * len(prompts)

    def ask(i):
        got[i] = model.forward(prompts[i], last_only=True)

    with model._lock:  # a pass is running: the three requests wait in line
        threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(prompts))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while len(model._line) < len(prompts):
            assert time.monotonic() < deadline, "the requests never got in line"
            time.sleep(0.01)
    for t in threads:
        t.join(timeout=60)
    assert combined == [len(prompts)]  # one pass served all three
    for g, w in zip(got, alone):
        np.testing.assert_allclose(g, w, atol=2e-3, rtol=1e-4)
        assert int(g.argmax()) == int(w.argmax())


def test_a_traced_pass_combined_with_another_records_what_it_records_alone(smollm2):
    model = smollm2.model
    a, b, _ = _prompts(smollm2)
    alone = Trace(attention=True, mlp=True, head=(3, 5))
    model.forward(a, trace=alone)
    together = Trace(attention=True, mlp=True, head=(3, 5))
    passes = [
        _Pass(*model._check(b, None), None, None, True, True),
        _Pass(*model._check(a, None), None, together, False, True),
    ]
    model._forward_many(passes)
    assert len(together.attentions) == len(together.mlp_acts) == model.config.n_layers
    assert len(together.residuals) == model.config.n_layers + 1
    for got, want in zip(together.attentions + together.residuals, alone.attentions + alone.residuals):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, atol=2e-3, rtol=1e-3)
    np.testing.assert_allclose(together.q, alone.q, atol=1e-3)
    np.testing.assert_allclose(together.logits, alone.logits, atol=2e-3, rtol=1e-4)


def test_a_bad_pass_is_refused_before_it_waits_in_line(smollm2):
    model = smollm2.model
    with pytest.raises(ValueError, match="token ids"):
        model.forward([model.config.vocab_size])
    assert not model._line
    assert MAX_COMBINED_TOKENS >= 256  # a prefill chunk always fits in one pass
