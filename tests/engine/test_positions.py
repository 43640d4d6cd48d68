"""Sinusoidal encodings against the paper's formula; RoPE's relative-position property."""

import math

import numpy as np
import pytest

from glasslm.engine.embeddings.positions import (
    rope_pair_angles,
    rope_scores_by_offset,
    rope_wavelengths,
    similarity_by_offset,
    sinusoidal,
    sinusoidal_wavelengths,
)


def test_sinusoidal_matches_the_formula_entry_by_entry():
    pe = sinusoidal(20, 8)
    for p in (0, 1, 7, 19):
        for i in range(4):
            w = 1 / 10000 ** (2 * i / 8)
            assert pe[p, 2 * i] == pytest.approx(math.sin(p * w), abs=1e-6)
            assert pe[p, 2 * i + 1] == pytest.approx(math.cos(p * w), abs=1e-6)


def test_sinusoidal_dot_product_depends_only_on_offset():
    sim = similarity_by_offset(sinusoidal(64, 32))
    for k in (0, 3, 17):
        diagonal = np.diagonal(sim, offset=k)
        assert np.allclose(diagonal, diagonal[0], atol=1e-4)
    assert sinusoidal_wavelengths(32)[0] == pytest.approx(2 * math.pi)


def test_rope_score_depends_only_on_distance_with_smollm2_theta():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal(64), rng.standard_normal(64)
    scores = rope_scores_by_offset(q, k, 100000.0, distances=[0, 1, 5, 40], offsets=[0, 7, 300])
    assert np.allclose(scores, scores[0], atol=1e-3)
    assert scores[0, 0] == pytest.approx(float(q @ k), rel=1e-5)  # distance 0: no net rotation
    # By hand, one pair rotated by angle a: score = |q||k| cos(phase difference).
    two = rope_scores_by_offset([1.0, 0.0], [1.0, 0.0], 10000.0, distances=[0, 1, 2], offsets=[0])
    assert two[0] == pytest.approx([1.0, math.cos(1.0), math.cos(2.0)], abs=1e-6)


def test_rope_wavelengths_and_angles():
    wl = rope_wavelengths(64, 100000.0)
    assert wl[0] == pytest.approx(2 * math.pi)
    assert wl[-1] == pytest.approx(2 * math.pi * 100000.0 ** (62 / 64))
    angles = rope_pair_angles([0, 1, 3], 64, 100000.0)
    assert angles.shape == (3, 32) and np.allclose(angles[0], 0)
    assert angles[1, 0] == pytest.approx(1.0, abs=1e-5) and angles[2, 0] == pytest.approx(3.0, abs=1e-5)


@pytest.mark.parametrize("n, d", [(0, 8), (10, 7), (10, 0)])
def test_bad_sizes_are_refused(n, d):
    with pytest.raises(ValueError):
        sinusoidal(n, d)
