"""Activation functions (glasslm/engine/basics/activations.py) against independent truths:
derivatives vs central finite differences, values vs torch.nn.functional where installed,
and a few values known by hand."""

import math

import numpy as np
import pytest

from glasslm.engine.basics import activations

# Points away from 0, where step and ReLU have their kink.
X = np.concatenate([np.linspace(-6, -0.01, 60), np.linspace(0.01, 6, 60)])


@pytest.mark.parametrize("name", list(activations.ACTIVATIONS))
def test_derivative_matches_finite_differences(name):
    act = activations.get(name)
    h = 1e-6
    fd = (act.f(X + h) - act.f(X - h)) / (2 * h)
    np.testing.assert_allclose(act.df(X), fd, rtol=1e-6, atol=1e-8)


def test_values_by_hand():
    assert activations.sigmoid(0.0) == 0.5
    assert activations.relu(-2.0) == 0.0 and activations.relu(3.0) == 3.0
    assert activations.step(0.0) == 0.0 and activations.step(1e-9) == 1.0
    # GELU(1) = Phi(1) = 0.841344746...
    assert float(activations.gelu(1.0)) == pytest.approx(0.8413447460685429, rel=1e-12)
    # SiLU(1) = 1 / (1 + e^-1)
    assert float(activations.silu(1.0)) == pytest.approx(1 / (1 + math.exp(-1)), rel=1e-12)
    # Derivatives at 0: sigmoid 1/4, tanh 1, GELU 1/2, SiLU 1/2.
    assert float(activations.d_sigmoid(0.0)) == 0.25
    assert float(activations.d_tanh(0.0)) == 1.0
    assert float(activations.d_gelu(0.0)) == 0.5
    assert float(activations.d_silu(0.0)) == 0.5


def test_gelu_tanh_approximates_exact_gelu():
    x = np.linspace(-6, 6, 1001)
    assert np.max(np.abs(activations.gelu(x) - activations.gelu_tanh(x))) < 1e-3


def test_sigmoid_does_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s = activations.sigmoid(np.array([-1000.0, 1000.0]))
    assert s.tolist() == [0.0, 1.0]


def test_values_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    t = torch.tensor(X, dtype=torch.float64)
    pairs = {
        "sigmoid": torch.sigmoid(t),
        "tanh": torch.tanh(t),
        "relu": F.relu(t),
        "gelu": F.gelu(t),
        "gelu_tanh": F.gelu(t, approximate="tanh"),
        "silu": F.silu(t),
    }
    for name, want in pairs.items():
        np.testing.assert_allclose(activations.get(name).f(X), want.numpy(), rtol=1e-12, atol=1e-14, err_msg=name)


def test_unknown_name_lists_choices():
    with pytest.raises(ValueError, match="choose one of step, sigmoid"):
        activations.get("softsign")


def test_curves_for_drawing():
    c = activations.curves("tanh", -2, 2, 5)
    assert c["x"] == [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert c["dy"][2] == 1.0
