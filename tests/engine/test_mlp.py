"""The numpy MLP (glasslm/engine/basics/mlp.py) and the toy data sets (glasslm/engine/basics/toy_data.py).

Independent truths: central finite differences of the loss for every weight;
PyTorch autograd on the same network where torch is installed; and behaviour
(XOR and circles separated, loss going down, a seed reproducing its data).
"""

import itertools

import numpy as np
import pytest

from glasslm.engine.basics import toy_data
from glasslm.engine.basics.mlp import MAX_LAYERS, MAX_WIDTH, MLP, MLPConfig, TrainConfig, accuracy, training


def finite_difference_grads(model, X, y, h=1e-6):
    out = []
    for p in model.params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            up = model.loss(X, y)
            p[idx] = old - h
            down = model.loss(X, y)
            p[idx] = old
            g[idx] = (up - down) / (2 * h)
        out.append(g)
    return out


@pytest.mark.parametrize(
    "activation, output, layers",
    [
        ("tanh", "sigmoid", 1),
        ("relu", "softmax", 2),
        ("sigmoid", "sigmoid", 3),
        ("gelu_tanh", "softmax", 1),
        ("silu", "sigmoid", 4),
    ],
)
def test_gradients_match_finite_differences(activation, output, layers):
    X, y = toy_data.make("moons", n=20, seed=1)
    model = MLP(MLPConfig(layers=layers, width=3, activation=activation, output=output, seed=2))
    loss, grads = model.loss_and_grads(X, y)
    for g, fd in zip(grads, finite_difference_grads(model, X, y)):
        np.testing.assert_allclose(g, fd, rtol=1e-5, atol=1e-8)


def test_gradients_match_torch():
    torch = pytest.importorskip("torch")
    X, y = toy_data.make("circles", n=30, seed=3)
    model = MLP(MLPConfig(layers=2, width=5, activation="tanh", output="softmax", seed=4))
    _, grads = model.loss_and_grads(X, y)
    Ws = [torch.tensor(W, requires_grad=True) for W in model.W]
    bs = [torch.tensor(b, requires_grad=True) for b in model.b]
    a = torch.tensor(X)
    for W, b in zip(Ws[:-1], bs[:-1]):
        a = torch.tanh(a @ W + b)
    logits = a @ Ws[-1] + bs[-1]
    loss = torch.nn.functional.cross_entropy(logits, torch.tensor(y))
    loss.backward()
    assert model.loss(X, y) == pytest.approx(loss.item(), rel=1e-12)
    for g, t in zip(grads, [W.grad for W in Ws] + [b.grad for b in bs]):
        np.testing.assert_allclose(g, t.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("name", ["xor", "circles"])
def test_separates_xor_and_circles(name):
    X, y = toy_data.make(name, n=200, seed=0)
    model = MLP(MLPConfig(layers=2, width=6, activation="tanh"))
    reports = list(training(model, X, y, TrainConfig(optimizer="adam", lr=0.03, steps=600, report_every=100)))
    assert reports[-1]["accuracy"] >= 0.95
    assert accuracy(model, X, y) == reports[-1]["accuracy"]


def test_loss_decreases_with_plain_gradient_descent():
    X, y = toy_data.make("moons", n=200, seed=0)
    model = MLP(MLPConfig(layers=1, width=8, activation="relu", output="softmax"))
    first = model.loss(X, y)
    reports = list(training(model, X, y, TrainConfig(optimizer="sgd", lr=0.5, steps=300, report_every=50)))
    losses = [r["loss"] for r in reports]
    assert losses[-1] < 0.6 * first
    assert all(b < a for a, b in zip(losses, losses[1:]))


def test_overflowing_weights_report_divergence_instead_of_nan():
    X, y = toy_data.make("spiral", n=100, seed=0)
    model = MLP(MLPConfig(layers=2, width=8, activation="relu"))
    for W in model.W:
        W[:] = 1e200  # as if a far too large learning rate had blown the weights up
    reports = list(training(model, X, y, TrainConfig(optimizer="sgd", lr=1.0, steps=50, report_every=1)))
    assert len(reports) == 1  # stops at the first non-finite loss
    assert reports[0] == {"step": 1, "loss": None, "accuracy": None, "diverged": True}


def test_trace_of_one_point_matches_finite_differences():
    X, y = toy_data.make("xor", n=50, seed=0)
    model = MLP(MLPConfig(layers=2, width=3, activation="tanh", output="sigmoid", seed=5))
    x, label = X[7], int(y[7])
    t = model.trace(x, label)
    # Layer sizes as drawn: 2 inputs, 3, 3, 1 output.
    assert [len(layer["a"]) for layer in t["layers"]] == [2, 3, 3, 1]
    assert t["p"] == pytest.approx(t["layers"][-1]["a"][0])
    fd = finite_difference_grads(model, x[None, :], np.array([label]))
    k = len(model.W)
    for l, w in enumerate(t["weights"]):
        np.testing.assert_allclose(w["dW"], fd[l], rtol=1e-5, atol=1e-9)
        np.testing.assert_allclose(w["db"], fd[k + l], rtol=1e-5, atol=1e-9)
    # Forward values chain: each layer's z is the previous a times W plus b.
    for l, w in enumerate(t["weights"]):
        z = np.array(t["layers"][l]["a"]) @ np.array(w["W"]) + np.array(w["b"])
        np.testing.assert_allclose(t["layers"][l + 1]["z"], z)


def test_grid_for_the_decision_boundary():
    model = MLP(MLPConfig())
    g = model.grid(resolution=5)
    assert len(g["p"]) == 5 and len(g["p"][0]) == 5
    # Cell (row i, column j) is the point (ticks[j], ticks[i]).
    p = model.proba(np.array([[g["ticks"][3], g["ticks"][1]]]))[0]
    assert g["p"][1][3] == pytest.approx(p)


@pytest.mark.parametrize(
    "config, words",
    [
        (MLPConfig(layers=MAX_LAYERS + 1), "hidden layers"),
        (MLPConfig(layers=0), "hidden layers"),
        (MLPConfig(width=MAX_WIDTH + 1), "neurons"),
        (MLPConfig(activation="step"), "unknown activation"),
        (MLPConfig(output="linear"), "unknown output"),
    ],
)
def test_bad_config(config, words):
    with pytest.raises(ValueError, match=words):
        MLP(config)


@pytest.mark.parametrize(
    "config, words",
    [
        (TrainConfig(lr=float("inf")), "learning rate"),
        (TrainConfig(lr=0.0), "learning rate"),
        (TrainConfig(optimizer="lbfgs"), "unknown optimizer"),
        (TrainConfig(steps=10**6), "steps must be"),
    ],
)
def test_bad_training_config(config, words):
    X, y = toy_data.make("xor")
    with pytest.raises(ValueError, match=words):
        next(training(MLP(), X, y, config))


# ---------------------------------------------------------------- toy data


@pytest.mark.parametrize("name", list(toy_data.DATASETS))
def test_data_sets_are_seeded_balanced_and_in_the_box(name):
    X, y = toy_data.make(name, n=300, seed=7)
    X2, y2 = toy_data.make(name, n=300, seed=7)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    assert not np.array_equal(X, toy_data.make(name, n=300, seed=8)[0])
    assert X.shape == (300, 2) and set(y.tolist()) == {0, 1}
    assert 0.4 < y.mean() < 0.6
    lo, hi = toy_data.BOX
    assert X.min() > lo and X.max() < hi


def test_xor_and_circles_labels_by_construction():
    X, y = toy_data.make("xor", n=400, noise=0.0)
    assert np.array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))
    X, y = toy_data.make("circles", n=400, noise=0.0)
    assert np.array_equal(y, (np.hypot(X[:, 0], X[:, 1]) < 0.7).astype(int))


def test_truth_tables():
    for gate, op in [("and", lambda a, b: a and b), ("or", lambda a, b: a or b), ("xor", lambda a, b: a ^ b)]:
        X, y = toy_data.truth_table(gate)
        assert y.tolist() == [op(a, b) for a, b in itertools.product([0, 1], [0, 1])]
        assert X.tolist() == [[a, b] for a, b in itertools.product([0, 1], [0, 1])]


@pytest.mark.parametrize(
    "args, words",
    [
        (("galaxy",), "unknown data set"),
        (("xor", 2), "number of points"),
        (("xor", 100, 0.9), "noise"),
    ],
)
def test_bad_data_requests(args, words):
    with pytest.raises(ValueError, match=words):
        toy_data.make(*args)
