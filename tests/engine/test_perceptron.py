"""The perceptron rule (glasslm/engine/basics/perceptron.py) against a hand-worked run and
the known facts: it learns AND and OR, and never learns XOR."""

import numpy as np
import pytest

from glasslm.engine.basics import toy_data
from glasslm.engine.basics.perceptron import MAX_EPOCHS, PerceptronConfig, predict, train


def test_and_by_hand():
    # Worked by hand, lr = 1, zero start, examples in order (0,0) (0,1) (1,0) (1,1),
    # step(z) = 1 only when z > 0; "mistakes" = updates made in the epoch:
    # epoch 1: only (1,1) is wrong -> w = (1,1), b = 1                         1 mistake
    # epoch 2: (0,0) -> w=(1,1),b=0; (0,1) -> w=(1,0),b=-1; (1,1) -> w=(2,1),b=0   3
    # epoch 3: (0,1) -> w=(2,0),b=-1; (1,0) -> w=(1,0),b=-2; (1,1) -> w=(2,1),b=-1 3
    # epoch 4: (1,0) -> w=(1,1),b=-2; (1,1) -> w=(2,2),b=-1                       2
    # epoch 5: (0,1) -> w=(2,1),b=-2                                              1
    # epoch 6: no mistakes; 2*x1 + x2 - 2 > 0 only for (1,1).                     0
    X, y = toy_data.truth_table("and")
    r = train(X, y, PerceptronConfig(lr=1.0, epochs=6))
    assert [e["mistakes"] for e in r["epochs"]] == [1, 3, 3, 2, 1, 0]
    assert r["w"] == [2.0, 1.0] and r["b"] == -2.0
    assert r["converged"]
    assert r["epochs"][-1]["errors"] == 0


@pytest.mark.parametrize("gate", ["and", "or"])
def test_learns_separable_gates(gate):
    X, y = toy_data.truth_table(gate)
    r = train(X, y, PerceptronConfig(epochs=20))
    assert r["converged"]
    assert predict(X, np.array(r["w"]), r["b"]).tolist() == y.tolist()


@pytest.mark.parametrize("lr", [0.01, 0.1, 1.0, 3.0])
def test_never_learns_xor(lr):
    X, y = toy_data.truth_table("xor")
    r = train(X, y, PerceptronConfig(lr=lr, epochs=MAX_EPOCHS))
    assert not r["converged"]
    errors = [e["errors"] for e in r["epochs"]]
    assert min(errors) >= 1
    # The recorded errors are a recount with the weights of that epoch.
    for e in r["epochs"]:
        assert e["errors"] == int(np.sum(predict(X, np.array(e["w"]), e["b"]) != y))


def test_record_has_every_update():
    X, y = toy_data.truth_table("or")
    r = train(X, y, PerceptronConfig(epochs=5))
    assert len(r["updates"]) == 5 * 4
    assert r["updates"][-1]["w"] == r["w"]


@pytest.mark.parametrize(
    "config, words",
    [
        (PerceptronConfig(epochs=0), "epochs must be"),
        (PerceptronConfig(epochs=MAX_EPOCHS + 1), "epochs must be"),
        (PerceptronConfig(lr=float("nan")), "learning rate"),
        (PerceptronConfig(lr=-1), "learning rate"),
    ],
)
def test_bad_config(config, words):
    X, y = toy_data.truth_table("and")
    with pytest.raises(ValueError, match=words):
        train(X, y, config)
