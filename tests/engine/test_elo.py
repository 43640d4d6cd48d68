"""Elo updates against hand-computed values; order dependence of Elo and not of Bradley-Terry;
the Bradley-Terry fit against its closed form for two players and a brute-force likelihood maximum."""

import itertools
import math

import numpy as np
import pytest

from glasslm.engine.evaluation.elo import (
    ELO_SCALE,
    EloConfig,
    Vote,
    bradley_terry,
    elo_history,
    expected,
    update,
    win_counts,
)


def test_expected_score_by_hand():
    assert expected(1000, 1000) == 0.5
    assert expected(1400, 1000) == pytest.approx(10 / 11)  # 400 points = 10:1 odds
    assert expected(1000, 1200) == pytest.approx(1 / (1 + math.sqrt(10)))


def test_update_by_hand():
    # Equal players, A wins, K = 32: each moves 32 * (1 - 0.5) = 16.
    assert update(1000, 1000, 1) == (1016, 984)
    # A at 1200 loses to B at 1000: E_A = 1/(1+10^-0.5) = 0.75975..., A drops 32 * 0.75975 = 24.312.
    a, b = update(1200, 1000, 0)
    assert a == pytest.approx(1200 - 24.3120, abs=1e-3) and b == pytest.approx(1000 + 24.3120, abs=1e-3)
    a, b = update(1200, 1000, 0.5, k=16)  # a tie still costs the favourite: 16 * (0.5 - 0.75975)
    assert a == pytest.approx(1200 - 4.156, abs=1e-3) and a + b == pytest.approx(2200)
    with pytest.raises(ValueError, match="score_a"):
        update(1000, 1000, 2)


def test_elo_history_is_order_dependent():
    votes = [Vote("x", "y", 1), Vote("x", "y", 1), Vote("y", "x", 1)]
    fwd = elo_history(["x", "y"], votes)[-1]
    rev = elo_history(["x", "y"], votes[::-1])[-1]
    # By hand: 1016/984; then E_x = 1/(1+10^(-32/400)) = 0.54600, x -> 1016 + 32*0.454 = 1030.528; then y wins.
    e = 1 / (1 + 10 ** (-32 / 400))
    x2 = 1016 + 32 * (1 - e)
    e3 = 1 / (1 + 10 ** ((2000 - 2 * x2) / 400))  # x's expectation at (x2, 2000 - x2)
    assert fwd["x"] == pytest.approx(x2 - 32 * e3)
    assert fwd["x"] + fwd["y"] == pytest.approx(2000)  # Elo is zero-sum
    assert abs(fwd["x"] - rev["x"]) > 1  # the same votes, another order, other ratings
    assert len(elo_history(["x", "y"], votes, EloConfig(k=10))) == 4


def test_bradley_terry_two_players_closed_form():
    # With no prior, the MLE for 3 wins to 1 is p_x / p_y = 3: a gap of 400 log10 3 = 190.85 points.
    votes = [Vote("x", "y", 1)] * 3 + [Vote("x", "y", 0)]
    r = bradley_terry(["x", "y"], votes, prior=0)
    assert r["x"] - r["y"] == pytest.approx(ELO_SCALE * math.log10(3), abs=1e-6)
    assert (r["x"] + r["y"]) / 2 == pytest.approx(1000)


def test_bradley_terry_is_order_independent_and_a_likelihood_maximum():
    players = ["a", "b", "c"]
    votes = [
        Vote("a", "b", 1),
        Vote("b", "c", 1),
        Vote("a", "c", 0.5),
        Vote("c", "a", 1),
        Vote("a", "b", 1),
        Vote("c", "b", 0),
    ]
    r = bradley_terry(players, votes, prior=0.5)
    for perm in itertools.islice(itertools.permutations(votes), 0, 720, 97):
        assert bradley_terry(players, list(perm), prior=0.5) == pytest.approx(r, abs=1e-6)

    def loglik(ratings):  # the same model written as logistic probabilities, with the prior's virtual ties
        ll = 0.0
        games = votes + [Vote(x, y, 0.5) for x, y in itertools.combinations(players, 2) for _ in range(1)]
        weights = [1.0] * len(votes) + [0.5] * 3
        for v, w in zip(games, weights):
            pa = 1 / (1 + 10 ** ((ratings[v.b] - ratings[v.a]) / ELO_SCALE))
            ll += w * (v.score_a * math.log(pa) + (1 - v.score_a) * math.log(1 - pa))
        return ll

    best = loglik(r)
    rng = np.random.default_rng(0)
    for _ in range(200):  # no nearby ratings fit the votes better
        other = {p: r[p] + rng.normal(0, 5) for p in players}
        assert loglik(other) <= best + 1e-9


def test_win_counts():
    w = win_counts(["a", "b"], [Vote("a", "b", 1), Vote("a", "b", 0.5)])
    assert w["a"] == {"games": 2, "wins": 1.5, "share": 0.75} and w["b"]["wins"] == 0.5
