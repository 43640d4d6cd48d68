"""Chapter 4's endpoints: numbers against the engine and known facts, training streamed
as a job that never blocks the server, and bad input answered with a sentence."""

import math

import numpy as np
import pytest

from glasslm.chapters.neurons import api
from glasslm.engine.basics import activations, toy_data


def test_activation_value_and_slope(client):
    d = client.post("/api/neurons/activations", json={"name": "sigmoid", "x": 2.0}).json()
    s = 1 / (1 + math.exp(-2))
    assert d["at"]["y"] == pytest.approx(s) and d["at"]["dy"] == pytest.approx(s * (1 - s))
    assert len(d["x"]) == api.CURVE_POINTS and d["x"][0] == -api.X_LIMIT
    np.testing.assert_allclose(d["dy"], activations.d_sigmoid(np.array(d["x"])))


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"name": "softsign"}', "name", "must be one of"),
        ('{"x": NaN}', "x", "finite"),
        ('{"x": 7}', "x", "at most 6"),
        ('{"x": -1e9}', "x", "at least -6"),
    ],
)
def test_activation_bad_input(client, body, field, words):
    r = client.post("/api/neurons/activations", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_perceptron_learns_and_but_never_xor(client):
    d = client.post("/api/neurons/perceptron", json={"gate": "and", "epochs": 10}).json()
    # By hand (tests/engine/test_perceptron.py): the weights after epoch 5, (2, 1) and bias -2,
    # already classify all four inputs; epoch 6 is the first with no mistakes.
    assert d["first_perfect_epoch"] == 5 and d["converged"]
    d = client.post("/api/neurons/perceptron", json={"gate": "xor", "epochs": 100}).json()
    assert d["first_perfect_epoch"] is None and d["lowest_errors"] >= 1
    assert len(d["epochs"]) == 100


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"gate": "nand"}', "gate", "must be one of"),
        ('{"epochs": 0}', "epochs", "at least 1"),
        ('{"epochs": 100000}', "epochs", "at most"),
        ('{"lr": Infinity}', "lr", "finite"),
        ('{"lr": -1}', "lr", "more than 0"),
    ],
)
def test_perceptron_bad_input(client, body, field, words):
    r = client.post("/api/neurons/perceptron", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_training_streams_a_falling_loss(client, sse):
    r = client.post("/api/neurons/mlp/train", json={"dataset": "circles", "steps": 40, "lr": 0.05})
    assert r.status_code == 200
    ev = sse(r.json()["job"])
    assert ev[0]["type"] == "setup" and len(ev[0]["points"]) == api.POINTS
    progress = [e for e in ev if e["type"] == "progress"]
    assert progress[0]["step"] == 0 and progress[-1]["step"] == 40
    assert progress[-1]["loss"] < progress[0]["loss"]
    grid = np.array(progress[-1]["grid"])
    assert grid.shape == (api.GRID, api.GRID) and grid.min() >= 0 and grid.max() <= 1
    assert ev[-1] == {"type": "end", "status": "done", "error": None}


def test_training_does_not_block_the_server(client, sse):
    r = client.post("/api/neurons/mlp/train", json={"dataset": "spiral", "steps": api.MAX_TRAIN_STEPS})
    job = r.json()["job"]
    # While it runs, other requests are answered.
    assert client.post("/api/neurons/activations", json={"name": "tanh"}).status_code == 200
    assert client.get(f"/api/jobs/{job}").json()["status"] == "running"
    client.post(f"/api/jobs/{job}/stop")
    assert sse(job)[-1]["status"] == "stopped"


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"dataset": "galaxy"}', "dataset", "must be one of"),
        ('{"layers": 5}', "layers", "at most 4"),
        ('{"layers": 0}', "layers", "at least 1"),
        ('{"width": 9}', "width", "at most 8"),
        ('{"lr": NaN}', "lr", "finite"),
        ('{"lr": 100}', "lr", "at most 10"),
        ('{"steps": 1000000}', "steps", "at most"),
        ('{"activation": "step"}', "activation", "must be one of"),
        ('{"optimizer": "lbfgs"}', "optimizer", "must be one of"),
    ],
)
def test_training_bad_input(client, body, field, words):
    r = client.post("/api/neurons/mlp/train", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_network_trace_of_a_point(client):
    d = client.post(
        "/api/neurons/network", json={"dataset": "xor", "layers": 2, "width": 3, "steps": 200, "index": 5}
    ).json()
    X, y = toy_data.make("xor", api.POINTS, seed=0)
    t = d["trace"]
    assert t["x"] == pytest.approx(X[5].tolist()) and t["y"] == int(y[5])
    assert [len(layer["a"]) for layer in t["layers"]] == [2, 3, 3, 1]
    # The point's loss is the cross-entropy of its own probability.
    p = t["p"] if t["y"] == 1 else 1 - t["p"]
    assert t["loss"] == pytest.approx(-math.log(p), rel=1e-9)
    assert d["accuracy"] > 0.9  # 200 Adam steps separate XOR


def test_untrained_network(client):
    d = client.post("/api/neurons/network", json={"steps": 0}).json()
    assert 0.3 < d["loss"] < 1.5  # near log 2 before any training


@pytest.mark.parametrize(
    "body, field, words",
    [
        ('{"index": 200}', "index", "less than 200"),
        ('{"steps": 5000}', "steps", "at most 1000"),
        ('{"width": 0}', "width", "at least 1"),
        ('{"dataset": ""}', "dataset", "must be one of"),
    ],
)
def test_network_bad_input(client, body, field, words):
    r = client.post("/api/neurons/network", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert r.json()["field"] == field and words in r.json()["error"]


def test_softmax_output_has_two_neurons_and_the_same_meaning(client):
    d = client.post("/api/neurons/network", json={"output": "softmax", "steps": 200, "index": 3}).json()
    t = d["trace"]
    assert len(t["layers"][-1]["a"]) == 2
    assert sum(t["layers"][-1]["a"]) == pytest.approx(1.0)
    assert t["p"] == pytest.approx(t["layers"][-1]["a"][1])  # p(orange) is the second output
    assert d["accuracy"] > 0.9
    r = client.post("/api/neurons/network", json={"output": "linear"})
    assert r.status_code == 422 and r.json()["field"] == "output"
