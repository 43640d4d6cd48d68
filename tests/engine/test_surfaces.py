"""Loss surfaces and optimizer paths (glasslm/engine/basics/surfaces.py).

Independent truths: finite differences for every hand-written gradient; the
closed form of gradient descent on a quadratic bowl; the known minima.
"""

import math

import numpy as np
import pytest

from glasslm.engine.basics import surfaces
from glasslm.engine.basics.surfaces import SURFACES, grid, path, race


@pytest.mark.parametrize("name", list(SURFACES))
def test_gradients_match_finite_differences(name):
    s = SURFACES[name]
    rng = np.random.default_rng(0)
    h = 1e-6
    for x, y in rng.uniform(-2, 2, size=(50, 2)):
        gx, gy = s.grad(x, y)
        fx = (s.f(x + h, y) - s.f(x - h, y)) / (2 * h)
        fy = (s.f(x, y + h) - s.f(x, y - h)) / (2 * h)
        assert gx == pytest.approx(fx, rel=1e-6, abs=1e-6)
        assert gy == pytest.approx(fy, rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("name", list(SURFACES))
def test_minimum_is_flat_and_lowest_on_the_grid(name):
    s = SURFACES[name]
    assert np.hypot(*s.grad(*s.minimum)) < 1e-9
    g = grid(name, 100)
    assert g["minimum_loss"] <= np.min(g["z"]) + 1e-9


def test_sgd_on_the_bowl_follows_the_closed_form():
    # f = (x^2 + 10 y^2)/2, so one SGD step multiplies x by (1 - lr) and y by (1 - 10 lr).
    lr, steps = 0.15, 12
    p = path("bowl", "sgd", lr=lr, steps=steps, start=(-4.0, 1.0))
    pts = np.array(p["points"])
    t = np.arange(steps + 1)
    np.testing.assert_allclose(pts[:, 0], -4.0 * (1 - lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(pts[:, 1], 1.0 * (1 - 10 * lr) ** t, rtol=1e-12)  # sign flips: the zig-zag


def test_sgd_diverges_on_the_bowl_above_2_over_the_steepest_curvature():
    # Steepest curvature is 10, so lr > 0.2 makes |1 - 10 lr| > 1.
    assert not path("bowl", "sgd", lr=0.19, steps=300)["diverged"]
    p = path("bowl", "sgd", lr=0.25, steps=1000)
    assert p["diverged"]
    assert all(math.isfinite(v) for pt in p["points"] for v in pt)


def test_default_rates_reach_the_minimum_on_the_bowl():
    for opt, p in race("bowl", steps=300).items():
        assert np.hypot(*p["points"][-1][:2]) < 1e-2, opt


def test_momentum_rolls_into_the_deeper_valley_where_sgd_stops_in_the_shallow_one():
    r = race("two_valleys", steps=300)
    deep = SURFACES["two_valleys"].minimum[0]
    assert r["sgd"]["points"][-1][0] == pytest.approx(0.93, abs=0.01)  # the shallow valley
    assert r["momentum"]["points"][-1][0] == pytest.approx(deep, abs=1e-3)


def test_adam_reaches_the_end_of_the_rosenbrock_valley():
    p = path("rosenbrock", "adam", steps=400)
    assert p["points"][-1][:2] == pytest.approx([1.0, 1.0], abs=1e-2)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(name="moon"), "unknown surface"),
        (dict(name="bowl", optimizer="rmsprop"), "unknown optimizer"),
        (dict(name="bowl", lr=float("nan")), "learning rate"),
        (dict(name="bowl", lr=surfaces.MAX_LR * 2), "learning rate"),
        (dict(name="bowl", steps=surfaces.MAX_STEPS + 1), "steps"),
        (dict(name="bowl", start=(float("inf"), 0.0)), "start point"),
    ],
)
def test_bad_requests(kwargs, words):
    args = {"name": "bowl", "optimizer": "sgd", **kwargs}
    with pytest.raises(ValueError, match=words):
        path(**args)


def test_bad_grid():
    with pytest.raises(ValueError, match="resolution"):
        grid("bowl", surfaces.MAX_GRID + 1)
