"""sampling_lab against hand-derived examples and sampling.py's own one-at-a-time draw."""

import math

import numpy as np
import pytest

from glasslm.engine.basics import sampling
from glasslm.engine.basics.sampling import SamplingConfig
from glasslm.engine.inference.sampling_lab import draw_many, filter_stages, histogram


def test_stages_by_hand():
    p = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    stages = filter_stages(np.log(p), SamplingConfig(temperature=1.0, top_k=4, top_p=0.8, min_p=0.35))
    assert [s.name for s in stages] == ["model", "temperature", "top-k", "top-p", "min-p"]
    assert [s.survivors for s in stages] == [5, 5, 4, 3, 2]
    # top-k 4 keeps 0.95 of the mass; top-p 0.8 then needs 0.5+0.2+0.15 (0.85 of the model's mass);
    # min-p 0.35 then keeps p >= 0.35 * 0.5/0.85: 0.2/0.85 stays, 0.15/0.85 goes
    assert [s.kept_mass for s in stages] == pytest.approx([1, 1, 0.95, 0.85, 0.7])
    np.testing.assert_allclose(stages[-1].probs, [5 / 7, 2 / 7, 0, 0, 0])
    assert stages[0].entropy_bits == pytest.approx(-(p * np.log2(p)).sum())
    assert stages[-1].entropy_bits == pytest.approx(-(5 / 7 * math.log2(5 / 7) + 2 / 7 * math.log2(2 / 7)))


def test_last_stage_is_the_distribution_sampled_from():
    z = np.random.default_rng(3).standard_normal(500) * 2
    for kw in [
        dict(temperature=0.7, top_k=50),
        dict(top_p=0.9),
        dict(temperature=1.3, min_p=0.05),
        dict(temperature=0),
    ]:
        stages = filter_stages(z, SamplingConfig(**kw))
        np.testing.assert_array_equal(stages[-1].probs, sampling.filter_distribution(z, **kw))
        assert stages[-1].survivors == int((stages[-1].probs > 0).sum())
    assert filter_stages(z, SamplingConfig(temperature=0))[-1].entropy_bits == 0.0  # one token left, and no -0.0
    assert math.copysign(1, filter_stages(z, SamplingConfig(temperature=0))[-1].entropy_bits) == 1


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="top_p"):
        filter_stages(np.zeros(3), SamplingConfig(top_p=0))


def test_draw_many_is_draw_repeated():
    p = sampling.filter_distribution(np.random.default_rng(1).standard_normal(200), top_p=0.8)
    rng = np.random.default_rng(11)
    one_by_one = [sampling.draw(p, rng) for _ in range(300)]
    assert draw_many(p, 300, seed=11).tolist() == one_by_one
    assert set(draw_many(p, 2000, seed=1).tolist()) <= set(np.flatnonzero(p).tolist())  # never a filtered token
    with pytest.raises(ValueError):
        draw_many(p, 0, seed=1)
    with pytest.raises(ValueError):
        draw_many(np.zeros(3), 5, seed=1)


def test_histogram_by_hand():
    p = np.array([0.5, 0.25, 0.25])
    h = histogram(np.array([0, 0, 1, 2]), p, [0, 1])
    assert h.counts == [2, 1] and h.other_count == 1
    assert h.expected == [2.0, 1.0] and h.other_expected == 1.0
    assert h.chi_square == 0 and h.dof == 2 and h.total_variation == 0
    h = histogram(np.array([0, 0, 0, 0]), p, [0])
    # observed 4 vs 2, other 0 vs 2: (2^2)/2 + (2^2)/2 = 4; frequencies 1 vs .5 and 0 vs .5
    assert h.chi_square == pytest.approx(4.0) and h.dof == 1 and h.total_variation == pytest.approx(0.5)
    with pytest.raises(ValueError, match="probability 0"):
        histogram(np.array([2]), np.array([0.5, 0.5, 0.0]), [0, 1])


def test_draws_follow_the_distribution_chi_square():
    z = np.random.default_rng(5).standard_normal(50) * 1.5
    p = sampling.filter_distribution(z, temperature=0.9, top_k=12)
    top = np.argsort(-p)[:12]
    h = histogram(draw_many(p, 20_000, seed=2024), p, top)
    # chi-square with dof degrees of freedom has mean dof and sd sqrt(2 dof): 5 sd is a very loose bound
    assert h.dof == 11 and h.chi_square < h.dof + 5 * math.sqrt(2 * h.dof)
    # and it notices draws from another distribution: the 1st and 6th tokens swapped
    q = p.copy()
    q[top[[0, 5]]] = q[top[[5, 0]]]
    assert p[top[0]] - p[top[5]] > 0.05
    assert histogram(draw_many(q, 20_000, seed=2024), p, top).chi_square > h.dof + 5 * math.sqrt(2 * h.dof)
