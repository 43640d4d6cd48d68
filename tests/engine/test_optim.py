"""Optimizers (glasslm/engine/autograd/optim.py) against their published update rules.

Adam: Kingma & Ba (2015), Algorithm 1, written out below in plain scalar
arithmetic (the engine folds the bias corrections into one step size, so this
is a genuinely different computation), plus two steps worked by hand.
SGD and momentum (torch.optim.SGD's heavy-ball form) by hand, and all three
against torch.optim where torch is installed.
"""

import math

import numpy as np
import pytest

from glasslm.engine.autograd.optim import OPTIMIZERS, SGD, Adam, Momentum, Schedule


def adam_reference(p, grads, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Algorithm 1 of the Adam paper, for one scalar parameter."""
    m = v = 0.0
    for t, g in enumerate(grads, start=1):
        m = b1 * m + (1 - b1) * g  # biased first moment
        v = b2 * v + (1 - b2) * g * g  # biased second raw moment
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (math.sqrt(v_hat) + eps)
    return p


def test_adam_two_steps_by_hand():
    # p = 1, lr = 0.1, gradients 0.5 then -1.
    # step 1: m = 0.05, v = 0.00025, m_hat = 0.5, v_hat = 0.25, p = 1 - 0.1 * 0.5 / 0.5 = 0.9
    #         (the first Adam step is lr * sign(g), whatever the gradient's size)
    # step 2: m = 0.045 - 0.1 = -0.055, v = 0.00024975 + 0.001 = 0.00124975,
    #         m_hat = -0.055 / 0.19 = -0.28947368, v_hat = 0.00124975 / 0.001999 = 0.62518759,
    #         p = 0.9 + 0.1 * 0.28947368 / 0.79068811 = 0.93661033
    p = np.array([1.0])
    opt = Adam([p], lr=0.1)
    opt.step([np.array([0.5])])
    assert p[0] == pytest.approx(0.9, abs=1e-7)
    opt.step([np.array([-1.0])])
    assert p[0] == pytest.approx(0.93661033, abs=1e-7)


def test_adam_matches_algorithm_1_over_many_steps():
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(50, 3))  # 50 steps of a 3-vector
    p = np.array([0.3, -1.0, 2.0])
    opt = Adam([p], lr=0.01, beta1=0.8, beta2=0.99, eps=1e-6)
    for g in grads:
        opt.step([g.copy()])
    want = [adam_reference(p0, grads[:, i], 0.01, 0.8, 0.99, 1e-6) for i, p0 in enumerate([0.3, -1.0, 2.0])]
    np.testing.assert_allclose(p, want, rtol=1e-12, atol=1e-12)


def test_sgd_by_hand():
    p = np.array([1.0, -2.0])
    opt = SGD([p], lr=0.1)
    opt.step([np.array([3.0, -4.0])])
    np.testing.assert_allclose(p, [0.7, -1.6])
    opt.step([np.array([1.0, 1.0])], lr=0.5)  # a per-step rate overrides the base one
    np.testing.assert_allclose(p, [0.2, -2.1])


def test_momentum_by_hand():
    # v = 0.9 v + g; p -= lr v. With g = 1 each time and lr = 0.1:
    # v = 1, 1.9, 2.71 ; p = 1 - 0.1, 0.9 - 0.19, 0.71 - 0.271 = 0.9, 0.71, 0.439
    p = np.array([1.0])
    opt = Momentum([p], lr=0.1, mu=0.9)
    seen = []
    for _ in range(3):
        opt.step([np.array([1.0])])
        seen.append(p[0])
    np.testing.assert_allclose(seen, [0.9, 0.71, 0.439])


def test_updates_in_place_on_every_array():
    a, b = np.zeros(2), np.zeros((2, 2))
    for name, cls in OPTIMIZERS.items():
        opt = cls([a, b], lr=0.1)
        opt.step([np.ones(2), np.ones((2, 2))])
        assert a[0] < 0 and b[1, 1] < 0, name


def test_against_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    grads = rng.normal(size=(30, 4))
    makers = {
        "sgd": (lambda ps: SGD(ps, 0.05), lambda ps: torch.optim.SGD(ps, lr=0.05)),
        "momentum": (lambda ps: Momentum(ps, 0.05), lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9)),
        "adam": (lambda ps: Adam(ps, 0.05), lambda ps: torch.optim.Adam(ps, lr=0.05)),
    }
    for name, (ours, theirs) in makers.items():
        p = np.linspace(-1, 1, 4)
        tp = torch.tensor(p.copy(), requires_grad=True)
        o, t = ours([p]), theirs([tp])
        for g in grads:
            o.step([g.copy()])
            tp.grad = torch.tensor(g)
            t.step()
        np.testing.assert_allclose(p, tp.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)


def test_schedules():
    # microgpt's linear decay: lr * (1 - step / total); cosine: lr * (1 + cos(pi step / total)) / 2.
    s = Schedule(lr=1.0, total=10, kind="linear")
    assert [s(i) for i in (0, 5, 9, 10)] == pytest.approx([1.0, 0.5, 0.1, 0.0])
    c = Schedule(lr=1.0, total=10, kind="cosine")
    assert [c(i) for i in (0, 5, 10)] == pytest.approx([1.0, 0.5, 0.0])
    w = Schedule(lr=1.0, total=20, kind="constant", warmup=4)
    assert [w(i) for i in range(5)] == [0.25, 0.5, 0.75, 1.0, 1.0]
    with pytest.raises(ValueError, match="unknown schedule"):
        Schedule(lr=1.0, total=5, kind="wiggly")(1)
