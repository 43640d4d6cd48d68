"""Linear models: gradients against finite differences, least squares against
the normal equations, and gradient descent's known regimes."""

import numpy as np
import pytest

from glasslm.engine.basics import linear


def test_mse_grad_matches_finite_differences():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.normal(size=20)
    w, b, h = rng.normal(size=3), 0.3, 1e-6
    gw, gb = linear.mse_grad(X, y, w, b)
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        fd = (linear.mse(X, y, w + e, b) - linear.mse(X, y, w - e, b)) / (2 * h)
        assert abs(fd - gw[i]) < 1e-6
    fd_b = (linear.mse(X, y, w, b + h) - linear.mse(X, y, w, b - h)) / (2 * h)
    assert abs(fd_b - gb) < 1e-6


def test_least_squares_solves_the_normal_equations():
    data = linear.iris_three_inputs()
    w, b = linear.least_squares(data.X, data.y)
    A = np.hstack([data.X, np.ones((150, 1))])
    exact = np.linalg.solve(A.T @ A, A.T @ data.y)
    assert np.allclose(np.append(w, b), exact, atol=1e-9)
    # and it is a minimum: nudging any weight makes the error worse
    best = linear.mse(data.X, data.y, w, b)
    for i in range(3):
        for d in (-1e-3, 1e-3):
            w2 = w.copy()
            w2[i] += d
            assert linear.mse(data.X, data.y, w2, b) > best


def test_iris_is_the_real_data():
    data = linear.iris_petals()
    assert data.X.shape == (150, 1)
    # Fisher's data: petal length ranges 1.0-6.9 cm, petal width 0.1-2.5 cm
    assert data.X.min() == 1.0 and data.X.max() == 6.9
    assert data.y.min() == 0.1 and data.y.max() == 2.5


def test_one_weight_descent_regimes():
    data = linear.iris_petals()
    x, y = data.X[:, 0], data.y
    best = linear.least_squares(data.X, y, bias=False)[0][0]
    # the loss is (2/N) sum x^2 (w - w*)^2 + const: descent is stable while lr < 1 / mean(x^2)
    limit = 1.0 / np.mean(x * x)
    crawl = linear.descend_one_weight(x, y, 0.0, 0.01 * limit, 20)
    good = linear.descend_one_weight(x, y, 0.0, 0.5 * limit, 20)
    wobble = linear.descend_one_weight(x, y, 0.0, 0.95 * limit, 20)
    blow = linear.descend_one_weight(x, y, 0.0, 1.2 * limit, 200)
    assert abs(good[-1]["w"] - best) < 1e-6
    assert abs(crawl[-1]["w"] - best) > 0.1 * abs(best)  # still far after 20 steps
    signs = np.sign([p["w"] - best for p in wobble[1:6]])
    assert np.all(signs[1:] != signs[:-1])  # overshoots to alternate sides
    assert blow[-1].get("diverged")


def test_curvature_is_the_second_derivative_of_the_loss():
    data = linear.iris_petals()
    x, y = data.X[:, 0], data.y
    a = linear.one_weight_curvature(x)
    for w, h in [(0.0, 1e-3), (0.34, 1e-3), (-2.0, 1e-2)]:  # a parabola: the same at every w
        L = lambda v: linear.mse(data.X, y, np.array([v]))  # noqa: E731
        assert (L(w + h) - 2 * L(w) + L(w - h)) / h**2 == pytest.approx(a, rel=1e-5)
