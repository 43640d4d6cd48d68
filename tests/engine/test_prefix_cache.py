"""The prefix cache: every request through it gives the logits of a full recompute without it
(cold, warm, a shared start, an edited middle, eviction, concurrent requests), while running
only the tokens it has not seen."""

import threading

import numpy as np
import pytest

from glasslm.engine.basics.sampling import GREEDY, SamplingConfig
from glasslm.engine.models.llama.prefix_cache import PrefixCache, shared_length
from glasslm.engine.models.llama.smollm2 import SmolLM2, load_smollm2

TOL = 2e-4  # float32: the same sums in another order


@pytest.fixture(scope="module")
def base():
    return load_smollm2()


def fresh(base, mb=64) -> SmolLM2:
    """The same weights behind a prefix cache of its own."""
    return SmolLM2(base.model, base.tokenizer, base.metadata, base.load_info, PrefixCache(mb))


@pytest.fixture(scope="module")
def text(base):
    return base.encode(
        "The old lighthouse keeper climbed the stairs every evening, counting each step, "
        "and at the top he lit the lamp that guided the fishing boats home."
    )


def test_shared_length():
    assert shared_length(np.array([1, 2, 3]), np.array([1, 2, 4, 5])) == 2
    assert shared_length(np.array([1, 2]), np.array([1, 2, 3])) == 2
    assert shared_length(np.array([7]), np.array([1])) == 0


def test_cold_then_warm_equal_a_full_recompute(base, text):
    m = fresh(base)
    want = base.model.forward(text)  # (T, V) no cache at all
    np.testing.assert_allclose(m.logits(text), want, atol=TOL, rtol=0)
    assert m.prefix_cache.stats()["computed_tokens"] == len(text)
    _, last, reused = m.prefill(text)
    assert reused == len(text)  # warm: nothing run again
    np.testing.assert_allclose(m.logits(text), want, atol=TOL, rtol=0)
    np.testing.assert_allclose(last, want[-1], atol=TOL, rtol=0)
    assert m.prefix_cache.stats()["computed_tokens"] == len(text)


def test_appended_tokens_run_alone(base, text):
    m = fresh(base)
    head = text[:-5]
    m.next_logits(head)
    _, last, reused = m.prefill(text)
    assert reused == len(head)
    np.testing.assert_allclose(last, base.model.forward(text)[-1], atol=TOL, rtol=0)
    assert m.prefix_cache.stats()["entries"] == 1  # the longer text replaced its start


def test_edited_middle_recomputes_from_the_edit(base, text):
    m = fresh(base)
    m.next_logits(text)
    edited = list(text)
    edited[10] = base.encode(" purple")[0]
    _, _, reused = m.prefill(edited)
    assert reused == 10
    np.testing.assert_allclose(m.logits(edited), base.model.forward(edited), atol=TOL, rtol=0)
    np.testing.assert_allclose(m.logits(text), base.model.forward(text), atol=TOL, rtol=0)  # the original kept


def test_scores_reuse_rows_and_equal_a_cold_score(base, text):
    cold = fresh(base).score(text, top=3)
    m = fresh(base)
    m.score(text[:-4], top=3)
    warm = m.score(text, top=3)
    assert warm.ids == text
    np.testing.assert_allclose(warm.logprobs, cold.logprobs, atol=TOL)
    np.testing.assert_array_equal(warm.ranks, cold.ranks)
    np.testing.assert_array_equal(warm.top_ids, cold.top_ids)
    np.testing.assert_allclose(warm.top_probs, cold.top_probs, atol=1e-5)
    bigger = m.score(text, top=5)  # more alternatives than kept: computed again, same numbers
    np.testing.assert_array_equal(bigger.top_ids[:, :3], cold.top_ids)


def test_generation_is_the_same_cold_and_warm(base, text):
    m = fresh(base)
    prompt = text[:20]
    cold = [e.token_id for e in m.generate(prompt, max_tokens=6, settings=GREEDY)]
    assert m.prefill(prompt)[2] == len(prompt)
    warm = [e.token_id for e in m.generate(prompt, max_tokens=6, settings=GREEDY)]
    seeded = [
        [e.token_id for e in m.generate(prompt, max_tokens=6, settings=SamplingConfig(temperature=1.0), seed=3)]
        for _ in range(2)
    ]
    assert cold == warm and seeded[0] == seeded[1]
    reference = fresh(base, mb=0)  # a budget of 0 keeps nothing: every request cold
    assert [e.token_id for e in reference.generate(prompt, max_tokens=6, settings=GREEDY)] == cold
    assert reference.prefix_cache.stats()["entries"] == 0


def test_eviction_keeps_the_budget_and_the_answers(base, text):
    per_token = 2 * 30 * 3 * 64 * 4 + base.config.d_model * 4  # keys, values and the hidden row
    budget_mb = 1.5 * len(text) * per_token / 2**20  # room for one text, not two
    m = fresh(base, mb=budget_mb)
    other = base.encode("Bees dance to tell each other where the flowers are, and how far away they bloom today.")
    m.next_logits(text)
    m.next_logits(other)
    stats = m.prefix_cache.stats()
    assert stats["entries"] == 1 and stats["mb"] <= budget_mb
    _, last, reused = m.prefill(text)
    assert reused == 0  # evicted: the least recently used went first
    np.testing.assert_allclose(last, base.model.forward(text)[-1], atol=TOL, rtol=0)


def test_concurrent_requests_sharing_a_prefix(base, text):
    m = fresh(base)
    m.next_logits(text[:12])
    ends = [text[:12] + base.encode(w) for w in (" apple pie", " blue whale", " quiet night", " red kite")]
    got: dict[int, np.ndarray] = {}

    def ask(i):
        got[i] = m.next_logits(ends[i])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(ends))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i, ids in enumerate(ends):
        np.testing.assert_allclose(got[i], base.model.forward(ids)[-1], atol=TOL, rtol=0)
    assert m.prefix_cache.stats()["reused_tokens"] >= 4 * 12


def test_a_negative_budget_is_refused():
    with pytest.raises(ValueError, match="budget"):
        PrefixCache(-1)
