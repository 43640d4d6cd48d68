"""C = 6ND against hand counts and the compute the model authors reported."""

import itertools
import math

import pytest

from glasslm.engine.data.model_facts import published
from glasslm.engine.pretraining.training_compute import (
    REPORTED_FLOPS,
    matmul_flops,
    measure_flop_rate,
    published_rows,
    readable_duration,
    training_flops,
)


def test_six_n_d_by_hand():
    assert training_flops(1e9, 2e10) == 1.2e20
    with pytest.raises(ValueError, match="parameters"):
        training_flops(0, 1)
    with pytest.raises(ValueError, match="tokens"):
        training_flops(1, float("nan"))


def test_matmul_flops_equal_a_naive_count():
    # multiply-adds of a triple loop, each counted as two operations
    for m, k, n in [(1, 1, 1), (2, 3, 4), (5, 1, 3)]:
        ops = sum(2 for _ in itertools.product(range(m), range(k), range(n)))
        assert matmul_flops(m, k, n) == ops


def test_six_comes_from_forward_and_backward_of_a_linear_layer():
    # y = x W with x (T, i), W (i, o): forward x@W; backward dW = x.T@dy and dx = dy@W.T
    T, i, o = 7, 5, 3
    params = i * o
    total = matmul_flops(T, i, o) + matmul_flops(i, T, o) + matmul_flops(T, o, i)
    assert total == 6 * params * T


def test_published_compute_is_close_to_what_the_authors_reported():
    rows = {r.name: r for r in published_rows()}
    gpt3 = rows["GPT-3"]
    assert gpt3.flops == pytest.approx(6 * 175e9 * 300e9)
    assert gpt3.tokens_per_param == pytest.approx(300 / 175)
    for name, (reported, source) in REPORTED_FLOPS.items():
        m = published(name)
        assert rows[name].reported_flops == reported and source
        # 6ND ignores attention and rounding of N and D: within 5% of the reported totals
        assert 6 * m.params * m.train_tokens == pytest.approx(reported, rel=0.05)
    assert "GPT-2 (XL)" not in rows  # its training tokens were not published


def test_flop_rate_is_flops_over_the_fastest_time():
    r = measure_flop_rate(size=64, repeats=3)
    assert r.flops_per_s == pytest.approx(2 * 64**3 / r.seconds)
    assert r.flops_per_s > 1e6  # any machine that runs numpy multiplies 64x64 matrices faster than this
    rows = published_rows(rate=r.flops_per_s)
    assert rows[0].seconds_here == pytest.approx(rows[0].flops / r.flops_per_s)
    with pytest.raises(ValueError):
        measure_flop_rate(size=2)


def test_readable_durations():
    assert readable_duration(3.2) == "3.2 s"
    assert readable_duration(90) == "1.5 minutes"
    assert readable_duration(7200) == "2 hours"
    assert readable_duration(3 * 365.25 * 86400) == "3 years"
    assert readable_duration(2300 * 365.25 * 86400) == "2,300 years"
    with pytest.raises(ValueError):
        readable_duration(math.inf)
