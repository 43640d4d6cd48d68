"""The Wilson interval against scipy's own (an independent implementation)."""

import pytest
from scipy.stats import binomtest

from glasslm.engine.evaluation.intervals import wilson


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (10, 10), (17, 24), (1, 1), (50, 100)])
def test_wilson_matches_scipy(k, n):
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson(k, n) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_wilson_refuses_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 0)
    with pytest.raises(ValueError):
        wilson(5, 4)
