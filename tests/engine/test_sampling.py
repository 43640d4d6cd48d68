"""Sampling against hand-derived examples and Hugging Face's logits warpers."""

import math

import numpy as np
import pytest

from glasslm.engine.basics import sampling


def test_softmax_and_log_softmax_by_hand():
    z = np.array([0.0, np.log(3.0)])  # p = [1/4, 3/4]
    np.testing.assert_allclose(sampling.softmax(z), [0.25, 0.75])
    np.testing.assert_allclose(sampling.log_softmax(z), np.log([0.25, 0.75]))
    np.testing.assert_allclose(sampling.softmax(np.array([1000.0, 1000.0])), [0.5, 0.5])  # no overflow
    np.testing.assert_allclose(sampling.softmax(z, temperature=0.5), [1 / 10, 9 / 10])  # p^2 renormalised
    np.testing.assert_array_equal(sampling.softmax(z, temperature=0), [0, 1])


def test_entropy_and_perplexity_by_hand():
    assert sampling.entropy(np.full(8, 1 / 8)) == pytest.approx(math.log(8))
    assert sampling.entropy(np.array([1.0, 0, 0])) == 0
    assert sampling.entropy(np.array([0.5, 0.5])) / math.log(2) == pytest.approx(1.0)  # one bit
    assert sampling.perplexity(np.log([0.25, 0.25, 0.25])) == pytest.approx(4.0)
    with pytest.raises(ValueError):
        sampling.perplexity([])


def test_token_logprobs_pick_the_next_token():
    logits = np.log(np.array([[0.1, 0.9], [0.7, 0.3], [0.5, 0.5]]))
    np.testing.assert_allclose(sampling.token_logprobs(logits, [0, 1, 0]), np.log([0.9, 0.7]))


def test_filters_by_hand():
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    z = np.log(p)
    np.testing.assert_allclose(sampling.filter_distribution(z, top_k=2), [5 / 7, 2 / 7, 0, 0, 0])
    # nucleus 0.8: 0.5 + 0.2 = 0.7 < 0.8, so 0.15 is needed too; 0.1 is not
    np.testing.assert_allclose(sampling.filter_distribution(z, top_p=0.8), [0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0])
    np.testing.assert_allclose(sampling.filter_distribution(z, top_p=0.7), [5 / 7, 2 / 7, 0, 0, 0])
    # min-p 0.3: keep p >= 0.15
    np.testing.assert_allclose(sampling.filter_distribution(z, min_p=0.3), [0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85, 0, 0])
    np.testing.assert_allclose(sampling.filter_distribution(z, top_p=0.01), [1, 0, 0, 0, 0])  # always keeps one
    assert sampling.filter_distribution(z, top_k=2, top_p=0.5)[0] == 1.0


def test_filters_match_transformers_warpers():
    torch = pytest.importorskip("torch")
    gen = pytest.importorskip("transformers.generation.logits_process")
    rng = np.random.default_rng(1)
    z = (rng.standard_normal(1000) * 3).astype(np.float32)
    for t, k, p, mp in [(0.7, 50, 1.0, 0.0), (1.3, 0, 0.9, 0.0), (1.0, 0, 1.0, 0.05), (0.8, 40, 0.95, 0.02)]:
        x = torch.tensor(z)[None]
        warpers = [gen.TemperatureLogitsWarper(t)]
        if k:
            warpers.append(gen.TopKLogitsWarper(k))
        if p < 1:
            warpers.append(gen.TopPLogitsWarper(p))
        if mp:
            warpers.append(gen.MinPLogitsWarper(mp))
        for w in warpers:
            x = w(None, x)
        want = torch.softmax(x, -1)[0].double().numpy()
        np.testing.assert_allclose(sampling.filter_distribution(z, t, k, p, mp), want, atol=1e-6)


def test_seeded_draws_repeat_and_follow_the_distribution():
    z = np.log(np.array([0.6, 0.3, 0.1]))
    a = [sampling.sample(z, np.random.default_rng(7))[0] for _ in range(5)]
    b = [sampling.sample(z, np.random.default_rng(7))[0] for _ in range(5)]
    assert a == b
    rng = np.random.default_rng(0)
    draws = np.array([sampling.sample(z, rng)[0] for _ in range(20000)])
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.6, 0.3, 0.1], atol=0.015)  # ~4 standard errors
    rng = np.random.default_rng(0)
    assert {sampling.sample(z, rng, top_k=1)[0] for _ in range(50)} == {0}
    assert sampling.sample(z, None, temperature=0)[0] == sampling.greedy(z) == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"temperature": -1},
        {"temperature": float("nan")},
        {"temperature": float("inf")},
        {"top_k": -3},
        {"top_k": 2.5},
        {"top_p": 0},
        {"top_p": 1.5},
        {"top_p": float("nan")},
        {"min_p": 1.0},
        {"min_p": -0.1},
    ],
)
def test_out_of_range_parameters_are_refused(kwargs):
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        sampling.filter_distribution(np.zeros(4), **kwargs)
    with pytest.raises(ValueError):
        sampling.SamplingConfig(**kwargs)


def test_softmax_steps_end_where_torch_softmax_does():
    import torch

    z = [2.0, -1.0, 0.5, 49.0]
    for t in (0.05, 1.0, 3.0):
        s = sampling.softmax_steps(z, t)
        want = torch.softmax(torch.tensor(z, dtype=torch.float64) / t, dim=0).numpy()
        np.testing.assert_allclose(s.probs, want, rtol=1e-12, atol=1e-300)
        assert s.shifted.max() == 0 and s.sum_exps >= 1  # the largest term became exp(0)
        np.testing.assert_allclose(s.scaled, np.array(z) / t)
        np.testing.assert_allclose(s.exps / s.sum_exps, s.probs)
    with pytest.raises(ValueError, match="above 0"):
        sampling.softmax_steps(z, 0)
